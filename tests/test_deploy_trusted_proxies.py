"""Issue 9, item 3: the deployments believe forwarding headers only from named proxies.

`FORWARDED_ALLOW_IPS="*"` let any client pick its own rate-limit bucket with
X-Forwarded-For; the gateway now reads GOVBUS_TRUSTED_PROXIES, which the deployments set
to the proxy's addresses and the operator's guide explains.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def env_values(text: str, name: str) -> list[str]:
    k8s = re.findall(rf"- name: {name}\s*\n\s*value:\s*\"?([^\"\n]*)\"?", text)
    compose = re.findall(rf"^\s*{name}:\s*\"?([^\"\n]*)\"?\s*$", text, re.M)
    return k8s + compose


def test_no_deployment_trusts_every_peer():
    for path in [*DEPLOY.glob("k8s/*.yaml"), DEPLOY / "compose.yaml"]:
        text = path.read_text()
        assert not env_values(text, "FORWARDED_ALLOW_IPS"), path
        for value in env_values(text, "GOVBUS_TRUSTED_PROXIES"):
            assert "*" not in value and "0.0.0.0/0" not in value and "::/0" not in value, path


def test_the_gateway_deployments_name_their_proxies():
    k8s = env_values((DEPLOY / "k8s" / "gateway.yaml").read_text(), "GOVBUS_TRUSTED_PROXIES")
    assert len(k8s) == 1
    for item in k8s[0].split(","):
        ipaddress.ip_network(item.strip(), strict=False)
    assert env_values((DEPLOY / "compose.yaml").read_text(), "GOVBUS_TRUSTED_PROXIES")
    guide = (DEPLOY / "README.md").read_text()
    assert "GOVBUS_TRUSTED_PROXIES" in guide and "FORWARDED_ALLOW_IPS` |" not in guide
