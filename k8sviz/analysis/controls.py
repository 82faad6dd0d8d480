"""The control catalog findings map to, and the per-control summary for an executive view.

Control wording is paraphrased (PCI DSS, CIS and NSA texts are licensed or long); ids follow PCI
DSS v4.0.1, the CIS Kubernetes Benchmark v1.10 (kube-bench numbering), the NSA/CISA Kubernetes
Hardening Guidance v1.2 and NIST SP 800-190.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .._text import as_given

__all__ = ["CONTROLS", "FINDINGS", "REQUIREMENTS", "Control", "Finding", "controls_frame", "controls_summary"]


@dataclass(frozen=True)
class Control:
    id: str
    framework: str
    title: str
    automated: bool = True  # False: k8sviz only gathers evidence, a human decides
    #: Inputs the control needs beyond its findings before it can pass (:data:`REQUIREMENTS`).
    requires: tuple[str, ...] = ()


#: What a control may need besides its findings having run: requirement -> why it is
#: missing.  :func:`controls_summary` reads them from ``gaps_df.attrs["inputs"]``.
REQUIREMENTS: dict[str, str] = {
    "cde": "no CDE declared (a zones file with a zone marked sensitive: true)",
    "zones": "no zones file (the segmentation intent)",
    "register": "no register of approved services and ports (the zones file's allow list)",
    "annotations": "no ruleset standard (requiredPolicyAnnotations in the zones file)",
    "flows": "no flow logs judged (unused rules, unexpected flows)",
    "policies": "policies the cluster enforces were not evaluated or not read",
    "exposure": "Services or Ingresses were not read (exposure outside the cluster unknown)",
}


@dataclass(frozen=True)
class Finding:
    """One finding id of :func:`k8sviz.gaps`: what it means and which controls it may fail.

    A row carries the controls that apply to it (``gaps_df["controls"]``): the CDE controls
    (:data:`CDE_CONTROLS`) only when the row touches a sensitive zone, in the direction it
    does; ``internet-ingress`` keeps PCI 1.4.2 only for entries no allow rule approves.
    """

    id: str
    title: str
    severity: str  # the base severity; gaps() adjusts it per row (see its docstring)
    controls: tuple[str, ...]
    needs: str = "snapshot"  # snapshot | reach | zones | flows


_C = [
    Control("PCI-1.2.1", "PCI DSS v4", "Network security control (NSC) rulesets are defined and maintained",
            requires=("annotations",)),
    Control("PCI-1.2.3", "PCI DSS v4", "Accurate network diagram of all connections to the CDE", False),
    Control(
        "PCI-1.2.5",
        "PCI DSS v4",
        "Every allowed service, protocol and port is identified, approved and justified",
        requires=("register", "policies"),
    ),
    Control(
        "PCI-1.2.7", "PCI DSS v4", "NSC configurations reviewed; rules without justification or use removed",
        requires=("flows", "annotations"),
    ),
    Control(
        "PCI-1.2.8",
        "PCI DSS v4",
        "NSC configuration files are secured and consistent with the running config",
        False,
    ),
    Control("PCI-1.3.1", "PCI DSS v4", "Inbound traffic to the CDE restricted to what is necessary",
            requires=("cde", "policies")),
    Control("PCI-1.3.2", "PCI DSS v4", "Outbound traffic from the CDE restricted to what is necessary",
            requires=("cde", "policies")),
    Control("PCI-1.4.1", "PCI DSS v4", "NSCs between trusted and untrusted networks",
            requires=("policies", "exposure")),
    Control(
        "PCI-1.4.2", "PCI DSS v4", "Inbound from untrusted networks limited to authorized public services",
        requires=("policies", "exposure"),
    ),
    Control(
        "PCI-1.4.4",
        "PCI DSS v4",
        "Components storing cardholder data not directly reachable from untrusted networks",
        requires=("cde", "policies", "exposure"),
    ),
    Control(
        "PCI-11.4.5", "PCI DSS v4", "Segmentation controls verified (pen test) to isolate the CDE", False
    ),
    Control("CIS-5.2.2", "CIS Kubernetes", "Minimize the admission of privileged containers"),
    Control(
        "CIS-5.2.5",
        "CIS Kubernetes",
        "Minimize the admission of containers sharing the host network namespace",
    ),
    Control("CIS-5.2.13", "CIS Kubernetes", "Minimize the admission of containers which use hostPorts"),
    # Manual in the benchmark: k8sviz gathers the evidence (namespaces without policies),
    # a human decides.
    Control("CIS-5.3.2", "CIS Kubernetes", "All namespaces have NetworkPolicies defined", False),
    Control(
        "NSA-NP-DEFAULT-DENY",
        "NSA/CISA",
        "Default policy denying all ingress and egress traffic per namespace",
        requires=("policies",),
    ),
    Control(
        "NSA-NP-SELECT",
        "NSA/CISA",
        "Network policies isolate resources (select pods; namespaces alone do not isolate)",
        requires=("policies",),
    ),
    Control("NSA-NP-METADATA", "NSA/CISA", "Block pod access to cloud metadata services",
            requires=("policies",)),
    Control("NIST-800-190-4.3.3", "NIST SP 800-190", "Separate inter-container traffic by sensitivity level",
            requires=("cde", "policies")),
    Control(
        "NIST-800-190-4.4.2",
        "NIST SP 800-190",
        "Control container egress; map network surfaces, detect unexpected flows",
        requires=("flows", "policies"),
    ),
]

#: Controls about the cardholder-data environment: a finding row carries them only when it
#: touches a sensitive zone (PCI 1.3.1 inbound to it, 1.3.2 outbound from it, 1.4.4 its
#: components reachable from the internet).
CDE_CONTROLS = ("PCI-1.3.1", "PCI-1.3.2", "PCI-1.4.4")

#: Control id -> :class:`Control`.
CONTROLS: dict[str, Control] = {c.id: c for c in _C}

_F = [
    Finding(
        "no-ingress-isolation",
        "Workload whose ingress no policy restricts (none selects it, an allow-all re-opens it, or peers are "
        "left open)",
        "medium",
        ("PCI-1.3.1", "NSA-NP-SELECT", "NIST-800-190-4.3.3"),
    ),
    Finding(
        "no-egress-isolation",
        "Workload whose egress no policy restricts (none selects it, an allow-all re-opens it, or peers are "
        "left open)",
        "medium",
        ("PCI-1.3.2", "NSA-NP-SELECT", "NIST-800-190-4.4.2"),
    ),
    Finding(
        "namespace-without-policy",
        "Namespace with workloads and no NetworkPolicy",
        "high",
        ("CIS-5.3.2", "NSA-NP-DEFAULT-DENY", "PCI-1.3.1", "PCI-1.3.2"),
    ),
    Finding(
        "namespace-without-default-deny",
        "Namespace without a default-deny policy for ingress and egress (or with one an allow-all re-opens)",
        "medium",
        ("NSA-NP-DEFAULT-DENY",),  # CIS 5.3.2 asks for a policy per namespace, not a default deny
    ),
    Finding(
        "host-network",
        "hostNetwork pod: outside NetworkPolicy enforcement",
        "high",
        ("CIS-5.2.5", "PCI-1.3.1", "PCI-1.3.2", "NSA-NP-SELECT"),
    ),
    Finding(
        "privileged",
        "Privileged container: can change its own network namespace and bypass policy",
        "high",
        ("CIS-5.2.2", "PCI-1.3.1"),
    ),
    Finding(
        "host-port",
        "hostPort: reachable on the node address, around pod NetworkPolicy",
        "medium",
        ("CIS-5.2.13", "PCI-1.4.1"),
    ),
    Finding(
        "internet-ingress",
        "Workload reachable from internet addresses",
        "medium",
        ("PCI-1.4.1", "PCI-1.4.2", "PCI-1.4.4"),
        "reach",
    ),
    Finding(
        "internet-egress",
        "Workload may connect to internet addresses",
        "medium",
        ("PCI-1.3.2", "NIST-800-190-4.4.2"),
        "reach",
    ),
    Finding(
        "metadata-egress",
        "Workload may reach a cloud metadata endpoint (169.254.169.254, or AWS's fd00:ec2::254)",
        "high",
        ("NSA-NP-METADATA", "NIST-800-190-4.4.2"),
        "reach",
    ),
    Finding(
        "calico-reserved-label",
        "Pod or network set carrying a label Calico reserves (pcns., pcsa., "
        "projectcalico.org/serviceaccount): "
        "under Calico it matches as another namespace or ServiceAccount, in NetworkPolicies and "
        "admin policies too",
        "high",
        ("NSA-NP-SELECT", "PCI-1.3.1", "PCI-1.3.2", "NIST-800-190-4.3.3"),
    ),
    Finding(
        "policy-not-evaluated",
        "Policy the cluster enforces that k8sviz does not evaluate (Calico, Cilium): verdicts may differ",
        "high",
        ("PCI-1.2.8",),
    ),
    Finding(
        "policies-not-read",
        "Policy resource not read (forbidden, or missing from the input): verdicts take it as empty",
        "high",
        ("PCI-1.2.8",),
    ),
    Finding(
        "allow-all-rule",
        "Over-broad allow rule (any peer, any namespace, or any port into a sensitive zone)",
        "medium",
        ("PCI-1.2.5", "PCI-1.3.1", "PCI-1.3.2"),
    ),
    Finding(
        "policy-selects-nothing",
        "Policy whose selector matches no pod (dead or mistyped), in any dialect",
        "low",
        ("PCI-1.2.7", "PCI-1.2.1"),
    ),
    Finding(
        "rule-peer-matches-nothing",
        "Rule peer that matches no pod or namespace",
        "low",
        ("PCI-1.2.7", "PCI-1.2.1"),
    ),
    Finding(
        "rule-port-matches-nothing",
        "Rule naming a port that no container of the pods it applies to names",
        "low",
        ("PCI-1.2.7", "PCI-1.2.1"),
    ),
    Finding(
        "redundant-rule",
        "Rule never decisive: everything it admits is admitted by other rules too",
        "info",
        ("PCI-1.2.7",),
        "reach",
    ),
    Finding(
        "policy-missing-annotations",
        "Policy without an annotation the zones file requires (owner, justification...)",
        "low",
        ("PCI-1.2.1", "PCI-1.2.7"),
        "zones",
    ),
    Finding(
        "zone-violation",
        "Cross-zone connectivity not covered by a valid allow rule",
        "high",
        ("PCI-1.3.1", "PCI-1.3.2", "PCI-1.2.5", "NIST-800-190-4.3.3"),
        "zones",
    ),
    Finding(
        "observed-but-policy-denies",
        "Observed allowed flow that the policies deny (drift or unmodelled path)",
        "high",
        ("PCI-1.2.8", "NIST-800-190-4.4.2"),
        "flows",
    ),
    Finding(
        "dropped-but-policy-allows",
        "Dropped flow that the policies allow (enforcement differs from config)",
        "medium",
        ("PCI-1.2.8",),
        "flows",
    ),
    Finding(
        "denied-at-l7",
        "Requests refused by an L7 rule of the CNI on a connection the policies allow",
        "info",
        ("PCI-1.2.8",),
        "flows",
    ),
    Finding(
        "allowed-but-unused",
        "Connection allowed by policy but never observed",
        "low",
        ("PCI-1.2.7",),
        "flows",
    ),
]

#: Finding id -> :class:`Finding`.
FINDINGS: dict[str, Finding] = {f.id: f for f in _F}

SEVERITIES = ("critical", "high", "medium", "low", "info")


def controls_frame() -> Any:
    """The catalog as a DataFrame: ``id``, ``framework``, ``title``, ``automated``, ``findings``."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "id": c.id,
                "framework": c.framework,
                "title": c.title,
                "automated": c.automated,
                "findings": [f.id for f in _F if c.id in f.controls],
            }
            for c in _C
        ]
    )


#: Why a finding id was not evaluated, by what it needs (when ``attrs["not_checked"]`` does
#: not say).
_NEEDS_TEXT = {
    "zones": "no zones file",
    "flows": "no flow logs",
    "reach": "no reachability",
    "snapshot": "not evaluated",
}


#: The requirement behind a finding that only runs with it.
_FINDING_NEEDS = {"policy-missing-annotations": "annotations"}


def _unmet(gaps_df: Any, checked: set[str]) -> dict[str, str]:
    """The :data:`REQUIREMENTS` the inputs behind ``gaps_df`` do not meet, with the reason."""
    inputs = gaps_df.attrs.get("inputs")
    findings = set(gaps_df["finding"]) if len(gaps_df) else set()
    out: dict[str, str] = {}
    if inputs is None:
        # A frame from elsewhere: what its rows and checked ids show, the rest unknown.
        inputs = {"zones": "zone-violation" in checked, "sensitive_zones": [],
                  "required_annotations": "policy-missing-annotations" in checked,
                  "flows": "allowed-but-unused" in checked, "unread_resources": {}}
    if not inputs.get("sensitive_zones"):
        empty = inputs.get("empty_sensitive_zones") or []
        out["cde"] = (f"the sensitive zone(s) {', '.join(empty)} match no workload (check the selectors)"
                      if empty
                      else REQUIREMENTS["cde"])
    if not inputs.get("zones"):
        out["zones"] = REQUIREMENTS["zones"]
        out["register"] = REQUIREMENTS["register"]
    if not inputs.get("required_annotations"):
        out["annotations"] = REQUIREMENTS["annotations"]
    if not inputs.get("flows"):
        out["flows"] = REQUIREMENTS["flows"]
    gaps_in_policies = [f for f in ("policy-not-evaluated", "policies-not-read") if f in findings]
    if gaps_in_policies:
        out["policies"] = f"{REQUIREMENTS['policies']} ({', '.join(gaps_in_policies)})"
    unread = {k: v for k, v in (inputs.get("unread_resources") or {}).items()
              if k in ("services", "ingresses")}
    if unread:
        out["exposure"] = (f"{', '.join(sorted(unread))} were not read "
                           f"({', '.join(sorted(set(unread.values())))}): exposure outside the cluster "
                           "unknown")
    return out


def controls_summary(gaps_df: Any, *, checked: Any = None) -> Any:
    """Per control: ``pass`` / ``fail`` / ``manual`` / ``not-checked`` for an executive summary.

    Parameters
    ----------
    gaps_df
        The result of :func:`k8sviz.gaps`.  Its ``attrs["checked"]`` (the finding ids that were
        evaluated) tells "no finding" apart from "not evaluated" (e.g. flow checks without
        flows), and ``attrs["inputs"]`` what was given (zones, a sensitive zone, flows...).
    checked
        Override of the evaluated finding ids.

    Returns
    -------
    DataFrame with ``control``, ``framework``, ``title``, ``status``, ``findings`` (count of rows),
    ``worst`` (highest severity), ``finding_ids`` and ``reason`` (why it is not-checked or
    manual; empty otherwise).

    * ``fail``: a finding mapped to the control is present with severity above ``info``;
    * ``pass``: none is, *every* finding mapped to it was evaluated, and the inputs it needs
      were there (:attr:`Control.requires`: a CDE declared for the CDE controls, flow logs for
      unused rules and unexpected flows, the approved register, the ruleset standard, every
      enforced policy evaluated and read, Services and Ingresses read);
    * ``not-checked``: otherwise, with the missing inputs in ``reason``: no evidence against it
      is no evidence for it;
    * ``manual``: k8sviz gathers evidence (the findings shown) and a human decides, as for the
      CIS 5.3 items the benchmark marks Manual; ``not-checked`` when none of that evidence could
      be gathered.
    """
    import pandas as pd

    from ..errors import QueryError, TableError

    if not isinstance(gaps_df, pd.DataFrame):
        got = type(gaps_df).__name__
        msg = f"controls_summary: gaps_df must be a DataFrame from k8sviz.gaps(...), got {got}"
        raise TableError(msg)
    if "finding" not in gaps_df.columns and (len(gaps_df) or len(gaps_df.columns)):
        # (another analysis's table was a KeyError from pandas)
        msg = ("controls_summary: gaps_df must be a DataFrame from k8sviz.gaps(...), got one without the "
               "column finding")
        raise TableError(msg)
    if checked is None:
        checked = gaps_df.attrs.get("checked", list(FINDINGS))
    elif isinstance(checked, str) or not isinstance(checked, Iterable) or not all(
            isinstance(f, str) for f in checked):
        # a str was read as its characters
        msg = f"controls_summary: checked must be a list of finding ids, got {as_given(checked)}"
        raise QueryError(msg)
    else:
        unknown = sorted(set(checked) - set(FINDINGS))
        if unknown:
            named = ", ".join(map(repr, unknown))
            msg = f"controls_summary: checked names no finding: {named} (see k8sviz.FINDINGS)"
            raise QueryError(msg)
    checked = set(checked)
    not_checked = dict(gaps_df.attrs.get("not_checked", {}))
    unmet = _unmet(gaps_df, checked)
    rows = []
    for c in _C:
        mapped = [f for f in _F if c.id in f.controls]
        hits = gaps_df[gaps_df["controls"].map(lambda cs, cid=c.id: cid in cs)] if len(gaps_df) else gaps_df
        hits = hits[hits["severity"] != "info"] if len(hits) else hits
        missing = [f for f in mapped if f.id not in checked]
        reasons = [unmet[r] for r in c.requires if r in unmet]
        for f in missing:
            req = _FINDING_NEEDS.get(f.id) or ("flows" if f.needs == "flows" else "zones"
                                               if f.needs == "zones" else "")
            if req == "zones" and any(r in unmet for r in c.requires if r in ("cde", "register")):
                continue  # no zones file: the CDE or the register it needs is missing, said already
            if req in unmet:
                reasons.append(unmet[req])  # the input it needs is missing: said once
            else:
                reasons.append(
                    f"{f.id}: {not_checked.get(f.id) or _NEEDS_TEXT.get(f.needs, 'not evaluated')}")
        reasons = list(dict.fromkeys(reasons))
        reason = ""
        if not c.automated:
            if mapped and len(missing) == len(mapped):
                status = "not-checked"
                reason = "; ".join(reasons)
            else:
                status = "manual"
                reason = ("an assessor decides on the evidence listed (the findings mapped to it)" if mapped
                          else
                          "an assessor decides (documents, interviews, data outside the cluster snapshot)")
        elif len(hits):
            status = "fail"
        elif not mapped or reasons:
            status = "not-checked"
            reason = "; ".join(reasons) or "no finding of k8sviz maps to it"
        else:
            status = "pass"
            missing_kinds = (gaps_df.attrs.get("inputs") or {}).get("policy_kinds_not_in_input") or []
            if "policies" in c.requires and missing_kinds:
                reason = (f"assumes the cluster serves none of {', '.join(missing_kinds)} (not in the input: "
                          "an offline dump cannot tell an empty list from one left out)")
        worst = None
        if len(hits):
            worst = min(hits["severity"], key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 99)
        rows.append(
            {
                "control": c.id,
                "framework": c.framework,
                "title": c.title,
                "status": status,
                "findings": len(hits),
                "worst": worst,
                "finding_ids": sorted(set(hits["finding"])) if len(hits) else [],
                "reason": reason,
            }
        )
    return pd.DataFrame(
        rows, columns=["control", "framework", "title", "status", "findings", "worst", "finding_ids",
                       "reason"]
    )
