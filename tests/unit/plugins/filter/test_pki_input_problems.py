# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mtls.clb.pki_input_problems: the PKI modules' own checks of a subject, a validity and a client list, asked on the
controller before step 1. Each case is one the module refuses too (the same text), and a good input has none."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mtls.clb.plugins.filter.pki_input_problems import pki_input_problems

GOOD_CLIENTS = [{"name": "client01", "common_name": "client01"}, {"name": "client02", "common_name": "client02"}]


@pytest.mark.parametrize("params, expected", [
    ({"clients": [GOOD_CLIENTS[0], dict(GOOD_CLIENTS[1], name="client01")]},
     "clients: name 'client01' is used by clients[0] and clients[1]; every client needs its own name"),
    ({"clients": [{"name": "client 01", "common_name": "c"}]}, "clients[0].name: 'client 01' must start"),
    ({"clients": [{"name": "c", "common_name": "x" * 65}]},
     "clients[0] (c).common_name is longer than the 64 characters X.509 allows"),
    ({"clients": [{"name": "c", "common_name": "c", "subject_alt_names": ["DNS:bücher.example"]}]},
     "clients[0] (c).subject_alt_names: 'DNS:bücher.example' is not ASCII"),
    ({"clients": GOOD_CLIENTS, "valid_days": 4000000}, "valid_days (4000000) would end after"),
    ({"clients": [GOOD_CLIENTS[0], dict(GOOD_CLIENTS[1], valid_days=4000000)]},
     "clients[1] (client02).valid_days (4000000) would end after"),
    ({"clients": ["client01"]}, "clients[0]: 'client01' is not a {name, common_name} item"),
    ({"clients": []}, "clients: the list is empty"),
])
def test_a_client_list_the_module_would_refuse(params, expected):
    problems = pki_input_problems(dict(params, pkcs12_password="p12"), "pki_client_certificates")
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize("params, expected", [
    ({"common_name": "r" * 65}, "root_ca_common_name is longer than the 64 characters X.509 allows"),
    ({"common_name": "root", "country_name": "ÄÖ"}, "root_ca_country_name must be a two-letter ISO 3166 code"),
    ({"common_name": "root", "valid_days": 3000000}, "root_ca_valid_days (3000000) would end after 9999-12-31"),
    ({"common_name": "root", "valid_days": 10, "renew_before_days": 30},
     "root_ca_renew_before_days (30) must be smaller than valid_days (10)"),
])
def test_a_root_ca_subject_or_validity_the_module_would_refuse(params, expected):
    problems = pki_input_problems(params, "pki_root_ca", option_prefix="root_ca_")
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_good_input_has_no_problem_and_unset_values_are_left_to_the_defaults():
    assert pki_input_problems({"clients": GOOD_CLIENTS, "pkcs12_password": "p12", "valid_days": 3650},
                              "pki_client_certificates") == []
    assert pki_input_problems({"common_name": "root", "country_name": None, "organization_name": "",
                               "valid_days": 3650, "renew_before_days": 30}, "pki_root_ca") == []


def test_an_unknown_module_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="module must be pki_root_ca or pki_client_certificates"):
        pki_input_problems({}, "pki_server_certificate")


def test_the_shared_validity_is_named_with_the_prefix():
    problems = pki_input_problems({"clients": GOOD_CLIENTS, "pkcs12_password": "p12", "valid_days": 4000000},
                                  "pki_client_certificates", option_prefix="client_certificates_")
    assert problems[0].startswith("client_certificates_valid_days (4000000) would end after 9999-12-31")


@pytest.mark.parametrize("value", ["abc", "10.5", 10.5, True, [3650], float("inf")])
def test_a_validity_that_is_not_a_whole_number_is_named_not_a_python_error(value):
    """It raised "invalid literal for int() with base 10", naming neither the option nor the fix."""
    for module, extra in (("pki_root_ca", {"common_name": "Root"}), ("pki_client_certificates", {"clients": []})):
        assert pki_input_problems(dict(extra, valid_days=value), module, option_prefix="my_") == [
            "my_valid_days must be a whole number of days (got %r)." % (value,)]
    assert pki_input_problems({"common_name": "Root", "renew_before_days": value}, "pki_root_ca") == [
        "renew_before_days must be a whole number of days (got %r)." % (value,)]
