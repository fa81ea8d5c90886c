"""Real Alibaba Cloud region IDs where CLB is sold (public regions; finance/gov clouds left out)."""
from __future__ import annotations

REGIONS: dict[str, str] = {
    "cn-qingdao": "China (Qingdao)",
    "cn-beijing": "China (Beijing)",
    "cn-zhangjiakou": "China (Zhangjiakou)",
    "cn-huhehaote": "China (Hohhot)",
    "cn-wulanchabu": "China (Ulanqab)",
    "cn-hangzhou": "China (Hangzhou)",
    "cn-shanghai": "China (Shanghai)",
    "cn-nanjing": "China (Nanjing - Local Region)",
    "cn-fuzhou": "China (Fuzhou - Local Region)",
    "cn-shenzhen": "China (Shenzhen)",
    "cn-heyuan": "China (Heyuan)",
    "cn-guangzhou": "China (Guangzhou)",
    "cn-chengdu": "China (Chengdu)",
    "cn-hongkong": "China (Hong Kong)",
    "ap-northeast-1": "Japan (Tokyo)",
    "ap-northeast-2": "South Korea (Seoul)",
    "ap-southeast-1": "Singapore",
    "ap-southeast-3": "Malaysia (Kuala Lumpur)",
    "ap-southeast-5": "Indonesia (Jakarta)",
    "ap-southeast-6": "Philippines (Manila)",
    "ap-southeast-7": "Thailand (Bangkok)",
    "ap-south-1": "India (Mumbai)",
    "us-east-1": "US (Virginia)",
    "us-west-1": "US (Silicon Valley)",
    "eu-west-1": "UK (London)",
    "eu-central-1": "Germany (Frankfurt)",
    "me-east-1": "UAE (Dubai)",
    "me-central-1": "Saudi Arabia (Riyadh)",
}

# Regions whose UploadServerCertificate takes an ECDSA (EC) server certificate. The CLB "Certificate
# requirements" and "Upload a certificate" docs of 2019-2021 said EC private keys were "supported only in the
# UK (London) region" (eu-west-1); the page that replaced them (updated 2026-01-14) says "CLB supports RSA
# certificates only. ECDSA (Elliptic Curve) certificates are not supported." The stricter, newer statement is the
# default; `--ecdsa-regions eu-west-1` plays the older docs, `--ecdsa-regions all` the emulator before the rule.
DEFAULT_ECDSA_REGIONS: frozenset[str] = frozenset()
DOCUMENTED_ECDSA_REGIONS: frozenset[str] = frozenset({"eu-west-1"})


def parse_region_list(value: str) -> frozenset[str]:
    """A comma-separated list of region IDs ("all" for every region, "" for none). ValueError names the bad ID."""
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    if names == ["all"]:
        return frozenset(REGIONS)
    unknown = [name for name in names if name not in REGIONS]
    if unknown:
        raise ValueError(f"{', '.join(repr(name) for name in unknown)} is not a region ID (expected a "
                         f"comma-separated list of region IDs such as eu-west-1, or 'all')")
    return frozenset(names)
