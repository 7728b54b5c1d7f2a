"""The words a report uses: which charge a line is, and a short name for its service.

CUR says ``line_item_line_item_type`` and ``line_item_product_code``; Cost Explorer says
``RECORD_TYPE`` and ``SERVICE`` (with other spellings). Both map here to the same labels,
so every backend yields the same frame. Unknown names pass through unchanged.
"""

from __future__ import annotations

# charge labels, in the order reports list them
USAGE, COMMITMENT, SUPPORT, FEE, DISCOUNT, CREDIT, REFUND, TAX, OTHER = (
    "usage", "commitment", "support", "fee", "discount", "credit", "refund", "tax", "other",
)  # fmt: skip
CHARGES = (USAGE, COMMITMENT, SUPPORT, FEE, DISCOUNT, CREDIT, REFUND, TAX, OTHER)
# Charges that recur with use (forecasts extrapolate these; the rest are one-offs).
RUNNING = frozenset({USAGE, COMMITMENT})

_LINE_TYPES = {
    # CUR line item types
    "usage": USAGE,
    "discountedusage": USAGE,
    "savingsplancoveredusage": USAGE,
    "savingsplannegation": USAGE,
    "savingsplanrecurringfee": COMMITMENT,
    "savingsplanupfrontfee": COMMITMENT,
    "rifee": COMMITMENT,
    "fee": FEE,
    "credit": CREDIT,
    "refund": REFUND,
    "tax": TAX,
    "edpdiscount": DISCOUNT,
    "bundleddiscount": DISCOUNT,
    "privateratediscount": DISCOUNT,
    "rivolumediscount": DISCOUNT,
    "distributordiscount": DISCOUNT,
    # Cost Explorer RECORD_TYPE spellings
    "recurring reservation fee": COMMITMENT,
    "upfront reservation fee": COMMITMENT,
    "reservation applied usage": USAGE,
    "support fee": SUPPORT,
    "marketplace fee": FEE,
    "enterprise discount program discount": DISCOUNT,
    "bundled discount": DISCOUNT,
    "private rate discount": DISCOUNT,
}

_SUPPORT_CODES = ("AWSSupport", "OCBPremiumSupport", "AWSDeveloperSupport")
_SUPPORT_NAMES = ("AWS Support", "AWS Premium Support", "Support")


def charge_of(line_type: str, product: str = "", reservation: bool = False) -> str:
    """The charge label of a CUR line type or CE record type (``product``: code or service)."""
    charge = _LINE_TYPES.get(line_type.strip().lower(), OTHER)
    if charge in (CREDIT, REFUND, TAX):
        return charge
    if product.startswith(_SUPPORT_CODES) or product.startswith(_SUPPORT_NAMES):
        return SUPPORT
    if charge == FEE and reservation:
        return COMMITMENT
    return charge


# Short service names, from CUR product codes and from Cost Explorer SERVICE values.
_SERVICES = {
    "AmazonEC2": "EC2",
    "Amazon Elastic Compute Cloud - Compute": "EC2",
    "Amazon Elastic Compute Cloud": "EC2",
    "EC2 - Other": "EC2",
    "AmazonECS": "ECS",
    "Amazon Elastic Container Service": "ECS",
    "Amazon EC2 Container Service": "ECS",
    "AWSELB": "ELB",
    "Amazon Elastic Load Balancing": "ELB",
    "Elastic Load Balancing": "ELB",
    "AmazonRoute53": "Route 53",
    "Amazon Route 53": "Route 53",
    "AmazonS3": "S3",
    "Amazon Simple Storage Service": "S3",
    "AmazonCloudWatch": "CloudWatch",
    "Amazon CloudWatch": "CloudWatch",
    "AWSDataTransfer": "Data Transfer",
    "AWS Data Transfer": "Data Transfer",
    "ComputeSavingsPlans": "Savings Plans",
    "Savings Plans for AWS Compute usage": "Savings Plans",
    "AmazonECR": "ECR",
    "Amazon EC2 Container Registry (ECR)": "ECR",
    "AWSSupportBusiness": "Support",
    "AWSSupportEnterprise": "Support",
    "AWSDeveloperSupport": "Support",
    "OCBPremiumSupport": "Support",
    "AWS Support (Business)": "Support",
    "AWS Support (Enterprise)": "Support",
    "AWS Support (Developer)": "Support",
    "Tax": "Tax",
}


def known_product_code(code: str) -> bool:
    """True when a CUR product code has a short name (others are named by product name)."""
    return code in _SERVICES


def service_name(name: str, charge: str = USAGE) -> str:
    """The short service name for a CUR product code/name or a CE SERVICE value."""
    if charge == TAX:
        return "Tax"
    return _SERVICES.get(name, name or "(none)")
