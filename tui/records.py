"""DNS record values as a person reads them: the text, not the wire format.

An alias names the load balancer it points at (else its target without ``dualstack.``);
TXT loses its quoting; SOA names its seven fields; names lose their trailing dot.
"""

from __future__ import annotations

from opskit.estate.model import DnsRecord

SOA_FIELDS = ("refresh", "retry", "expire", "min ttl")


def record_text(record: DnsRecord) -> str:
    """What ``record`` points at or holds, on one line."""
    if record.load_balancer:
        return record.load_balancer
    if record.alias_target:
        return record.alias_target.removeprefix("dualstack.").rstrip(".")
    if record.type == "TXT":
        return " ".join(_unquote(v) for v in record.values)
    if record.type == "SOA" and record.values:
        return soa_text(record.values[0])
    return ", ".join(v.rstrip(".") for v in record.values) or "-"


def soa_text(value: str) -> str:
    """``ns-1.awsdns-1.com. hostmaster. 1 7200 900 1209600 86400`` as named fields."""
    fields = value.split()
    if len(fields) != 7:
        return value
    primary, admin, serial, *timers = fields
    pairs = zip(SOA_FIELDS, timers, strict=True)
    named = ", ".join(f"{name} {seconds}s" for name, seconds in pairs)
    return f"{primary.rstrip('.')}, {admin.rstrip('.')}, serial {serial}, {named}"


def _unquote(value: str) -> str:
    """TXT strings come as quoted chunks (``"v=spf1" "include:…"``): join their text."""
    parts = value.split('" "')
    return "".join(p.strip('"') for p in parts)
