"""AWS on the wire: moto behind AWS's own rules (paging, batch limits, errors, IAM, faults)."""
