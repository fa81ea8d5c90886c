"""pki_client_certificates backend: the per-client re-issue table, validation, parallel issuance."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.mtls.clb.plugins.module_utils.pki import leaf
from ansible_collections.mtls.clb.plugins.module_utils.pki import pkcs12 as pkcs12_reader
from ansible_collections.mtls.clb.plugins.module_utils.pki.client_certificates import ClientCertificates
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.root_ca import RootCA

from .conftest import assert_no_secrets, make_module, snapshot

P12_PASSWORD = "p12-S3cret!"


@pytest.fixture
def batch_args(tmp_path, root_ca):
    return {
        "ca_certificate_path": root_ca["certificate_path"],
        "ca_private_key_path": root_ca["private_key_path"],
        "directory": str(tmp_path / "clients"),
        "key_type": "ecdsa",
        "organization_name": "alibaba",
        "pkcs12_password": P12_PASSWORD,
        "clients": [
            {"name": "alice", "common_name": "alice.example.com", "subject_alt_names": ["DNS:alice.example.com"]},
            {"name": "bob", "common_name": "bob.example.com"},
        ],
    }


def run(args, check_mode=False):
    return ClientCertificates(make_module("client_certificates", args, check_mode=check_mode)).run()


def by_name(result):
    return {entry["name"]: entry for entry in result["clients"]}


def test_first_run_writes_three_files_per_client_with_the_right_modes(batch_args):
    result = run(batch_args)
    assert result["changed"] and result["issued"] == 2
    directory = Path(batch_args["directory"])
    assert sorted(os.listdir(directory)) == ["alice.crt", "alice.key", "alice.p12", "bob.crt", "bob.key", "bob.p12"]
    for name, mode in (("alice.key", 0o600), ("alice.p12", 0o600), ("alice.crt", 0o644)):
        assert os.stat(directory / name).st_mode & 0o777 == mode
    alice = by_name(result)["alice"]
    assert alice["reason"] == "private key is missing" and alice["fingerprint_sha256"] and alice["not_after"]
    assert_no_secrets(result, P12_PASSWORD)


def test_client_certificate_profile(batch_args, root_ca):
    run(batch_args)
    cert = x509.load_pem_x509_certificate(Path(batch_args["directory"], "alice.crt").read_bytes())
    ca = x509.load_pem_x509_certificate(Path(root_ca["certificate_path"]).read_bytes())
    cert.verify_directly_issued_by(ca)
    ext = cert.extensions
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert ext.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.CLIENT_AUTH])
    usage = ext.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_encipherment  # ECDSA: no key transport
    assert ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == \
        ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert ext.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == \
        ["alice.example.com"]
    p12 = pkcs12.load_pkcs12(Path(batch_args["directory"], "alice.p12").read_bytes(), P12_PASSWORD.encode())
    assert p12.cert.certificate == cert and p12.cert.friendly_name == b"alice"


def test_rsa_client_keys_get_key_encipherment(batch_args):
    run(dict(batch_args, key_type="rsa", key_size=2048, clients=batch_args["clients"][:1]))
    cert = x509.load_pem_x509_certificate(Path(batch_args["directory"], "alice.crt").read_bytes())
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment


def test_unchanged_rerun_writes_nothing_and_signs_nothing(batch_args, monkeypatch):
    run(batch_args)
    before = snapshot(Path(batch_args["directory"]))

    def no_issuing(*_a, **_k):
        raise AssertionError("an unchanged run must not issue anything")
    monkeypatch.setattr(leaf, "issue_planned", no_issuing)
    # Nor decrypt a PKCS#12 bag: the MAC and the plaintext attributes settle an unchanged file.
    monkeypatch.setattr(pkcs12_reader, "_decrypt", no_issuing)
    result = run(batch_args)
    assert result["changed"] is False and result["issued"] == 0
    assert all(entry["reason"] is None and entry["fingerprint_sha256"] for entry in result["clients"])
    assert snapshot(Path(batch_args["directory"])) == before


def _new_ca(args, **options):
    ca_args = {"certificate_path": args["ca_certificate_path"], "private_key_path": args["ca_private_key_path"],
               "common_name": "root", "organization_name": "alibaba", "key_type": "ecdsa"}
    ca_args.update(options)
    RootCA(make_module("root_ca", ca_args)).run()


def _set_client(field, value):
    def change(args):
        args["clients"][0][field] = value
    return change


# (what changes, expected reason fragment for alice or None; which files of alice must change)
REISSUE_TABLE = [
    ("crt deleted", lambda a: os.remove(Path(a["directory"], "alice.crt")), "certificate is missing", {"crt", "p12"}),
    ("key deleted", lambda a: os.remove(Path(a["directory"], "alice.key")), "private key is missing",
     {"key", "crt", "p12"}),
    ("key garbage", lambda a: Path(a["directory"], "alice.key").write_text("junk"), "could not be used",
     {"key", "crt", "p12"}),
    ("p12 deleted", lambda a: os.remove(Path(a["directory"], "alice.p12")), "PKCS#12 file is missing", {"p12"}),
    ("p12 garbage", lambda a: Path(a["directory"], "alice.p12").write_bytes(b"junk"), "PKCS#12 file could not be read",
     {"p12"}),
    ("p12 password changed", _set_client("pkcs12_password", "another one"),
     "does not open with the given pkcs12_password", {"p12"}),
    ("pkcs12_encryption legacy", lambda a: a.update(pkcs12_encryption="legacy"), "encryption is modern, want legacy",
     {"p12"}),
    ("p12 swapped with bob's", lambda a: shutil.copy(Path(a["directory"], "bob.p12"), Path(a["directory"], "alice.p12")),
     "PKCS#12 holds another private key", {"p12"}),
    ("subject default changed", lambda a: a.update(organization_name="other"), "subject differs", {"crt", "p12"}),
    ("client subject field added", _set_client("locality_name", "bj"), "subject differs", {"crt", "p12"}),
    ("common name changed", _set_client("common_name", "alice2.example.com"), "subject differs", {"crt", "p12"}),
    ("SAN changed", _set_client("subject_alt_names", ["DNS:a.example.com"]), "extension subjectAltName differs",
     {"crt", "p12"}),
    ("digest changed", lambda a: a.update(digest="sha384"), "signature digest", {"crt", "p12"}),
    ("key type changed", lambda a: a.update(key_type="rsa", key_size=2048), "want RSA 2048", {"key", "crt", "p12"}),
    ("expires within window", lambda a: a.update(renew_before_days=3700, valid_days=4000),
     "within renew_before_days=3700", {"crt", "p12"}),
    ("CA key replaced, same name", lambda a: _new_ca(a, force=True), "authority key identifier", {"crt", "p12"}),
    ("CA renamed", lambda a: _new_ca(a, common_name="root-2"), "issuer differs", {"crt", "p12"}),
    ("valid_days changed only", lambda a: a.update(valid_days=60), None, set()),
    ("module-level password moved to the client", _set_client("pkcs12_password", P12_PASSWORD), None, set()),
    ("other client's change", lambda a: a["clients"][1].update(common_name="bob2.example.com"), None, set()),
]


@pytest.mark.parametrize("label, change, reason, files", REISSUE_TABLE, ids=[r[0] for r in REISSUE_TABLE])
def test_reissue_table(batch_args, label, change, reason, files):
    run(batch_args)
    directory = Path(batch_args["directory"])
    before = snapshot(directory)
    change(batch_args)
    result = run(batch_args)
    alice = by_name(result)["alice"]
    after = snapshot(directory)
    changed_files = {name.split(".")[1] for name in after if name.startswith("alice.") and after[name] != before.get(name)}
    if reason is None:
        assert alice["changed"] is False, alice["reason"]
    else:
        assert alice["changed"] is True and reason in alice["reason"]
    assert changed_files == files
    again = by_name(run(batch_args))["alice"]
    assert again["changed"] is False, again["reason"]


def test_check_mode_reports_the_same_decisions_and_writes_nothing(batch_args):
    run(batch_args)
    directory = Path(batch_args["directory"])
    os.remove(directory / "bob.crt")
    before = snapshot(directory)
    result = run(dict(batch_args, organization_name="changed"), check_mode=True)
    assert snapshot(directory) == before
    alice, bob = by_name(result)["alice"], by_name(result)["bob"]
    assert "subject differs" in alice["reason"] and alice["fingerprint_sha256"] is None
    assert bob["reason"] == "certificate is missing"


def test_check_mode_does_not_create_the_directory(batch_args):
    result = run(batch_args, check_mode=True)
    assert result["changed"] and not os.path.exists(batch_args["directory"])


def _clients(*items):
    return [dict(item) for item in items]


# Every case: the batch holds one good client and one bad one; nothing at all may be written.
BAD_BATCHES = [
    ("client CN equals CA CN", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                                    {"name": "evil", "common_name": "Root"})},
     "clients[1] (evil).common_name: 'Root' is the CA's common name"),
    ("duplicate names", {"clients": _clients({"name": "a", "common_name": "a"}, {"name": "a", "common_name": "b"})},
     "name 'a' is used by clients[0] and clients[1]"),
    ("path in a name", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                            {"name": "../x", "common_name": "x"})},
     "clients[1].name: '../x' must start with a letter or digit"),
    ("no PKCS#12 password", {"pkcs12_password": None,
                             "clients": _clients({"name": "ok", "common_name": "ok", "pkcs12_password": "x"},
                                                 {"name": "b", "common_name": "b"})},
     "clients[1] (b): no PKCS#12 password"),
    ("bad SAN", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                     {"name": "b", "common_name": "b", "subject_alt_names": ["host.example"]})},
     "clients[1] (b).subject_alt_names: 'host.example' must look like"),
    ("bad country", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                         {"name": "b", "common_name": "b", "country_name": "China"})},
     "clients[1] (b).country_name must be a two-letter"),
    ("validity shorter than renew window", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                                                {"name": "b", "common_name": "b", "valid_days": 10})},
     "clients[1] (b).renew_before_days (30) must be smaller than valid_days (10)"),
    ("zero validity for one client", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                                          {"name": "b", "common_name": "b", "valid_days": 0})},
     "clients[1] (b).valid_days must be at least 1"),
    # An OverflowError traceback once, after the first client's files were written.
    ("internationalised SAN", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                                   {"name": "b", "common_name": "b",
                                                    "subject_alt_names": ["DNS:bücher.example"]})},
     "clients[1] (b).subject_alt_names: 'DNS:bücher.example' is not ASCII; give an internationalised name in its "
     "ASCII (A-label, punycode) form, e.g. 'DNS:xn--bcher-kva.example'"),
    ("non-ASCII e-mail SAN", {"clients": _clients({"name": "b", "common_name": "b",
                                                   "subject_alt_names": ["email:jörg@example.test"]})},
     "clients[0] (b).subject_alt_names: 'email:jörg@example.test' is not ASCII"),
    ("validity past 9999-12-31", {"clients": _clients({"name": "ok", "common_name": "ok"},
                                                      {"name": "b", "common_name": "b", "valid_days": 10000000})},
     "clients[1] (b).valid_days (10000000) would end after 9999-12-31, the last date a certificate can carry; give "
     "at most "),
    ("shared validity too large for a C int", {"valid_days": 99999999999999999999},
     "valid_days (99999999999999999999) would end after 9999-12-31"),
    ("empty list", {"clients": []}, "clients: the list is empty"),
    ("zero workers", {"workers": 0}, "workers must be 1 or more"),
]


@pytest.mark.parametrize("label, options, message", BAD_BATCHES, ids=[r[0] for r in BAD_BATCHES])
def test_bad_batch_writes_nothing(batch_args, tmp_path, label, options, message):
    before = snapshot(tmp_path)
    with pytest.raises(PkiError) as err:
        run(dict(batch_args, **options))
    assert message in str(err.value)
    assert snapshot(tmp_path) == before and not os.path.exists(batch_args["directory"])


def _encrypt_ca_key(args, passphrase):
    path = Path(args["ca_private_key_path"])
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(passphrase.encode())))


def _client_cert_as_ca(args):
    run(dict(args, directory=str(Path(args["directory"]).parent / "other")))
    other = Path(args["directory"]).parent / "other"
    args["ca_certificate_path"] = str(other / "alice.crt")
    args["ca_private_key_path"] = str(other / "alice.key")


BAD_CA = [
    ("CA key missing", lambda a: a.update(ca_private_key_path=a["ca_private_key_path"] + ".nope"),
     "ca_private_key_path: "),
    ("CA key garbage", lambda a: Path(a["ca_private_key_path"]).write_text("junk"), "is not a PEM private key"),
    ("CA key encrypted, no passphrase", lambda a: _encrypt_ca_key(a, "ca-pass"), "set ca_private_key_passphrase"),
    ("CA key wrong passphrase", lambda a: (_encrypt_ca_key(a, "ca-pass"), a.update(ca_private_key_passphrase="bad")),
     "ca_private_key_passphrase is wrong"),
    ("CA cert missing", lambda a: a.update(ca_certificate_path=a["ca_certificate_path"] + ".nope"),
     "create the CA first with mtls.clb.pki_root_ca"),
    ("CA key of another CA", lambda a: a.update(ca_private_key_path=_other_ca_key(a)),
     "does not belong to the certificate"),
    ("not a CA certificate", _client_cert_as_ca, "is not a CA certificate"),
]


def _other_ca_key(args):
    other = Path(args["directory"]).parent / "other-ca"
    other.mkdir()
    RootCA(make_module("root_ca", {"certificate_path": str(other / "c.crt"), "private_key_path": str(other / "c.key"),
                                   "common_name": "other", "key_type": "ecdsa"})).run()
    return str(other / "c.key")


@pytest.mark.parametrize("label, damage, message", BAD_CA, ids=[r[0] for r in BAD_CA])
def test_unusable_ca_is_a_clear_error_and_nothing_is_written(batch_args, label, damage, message):
    damage(batch_args)
    with pytest.raises(PkiError) as err:
        run(batch_args)
    assert message in str(err.value)
    assert "ca-pass" not in str(err.value)
    assert not os.path.exists(batch_args["directory"])


def test_unwritable_directory_is_named(batch_args, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
    with pytest.raises(PkiError, match="is not writable by this user"):
        run(batch_args)


def test_directory_that_is_a_file_is_an_error(batch_args):
    Path(batch_args["directory"]).write_text("")
    with pytest.raises(PkiError, match="exists and is not a directory"):
        run(batch_args)


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_and_serial_issue_the_same_kind_of_files(batch_args, root_ca, workers):
    clients = [{"name": "c%d" % i, "common_name": "c%d.example.com" % i} for i in range(5)]
    result = run(dict(batch_args, clients=clients, workers=workers, key_type="rsa", key_size=2048))
    ca = x509.load_pem_x509_certificate(Path(root_ca["certificate_path"]).read_bytes())
    assert result["issued"] == 5
    fingerprints = set()
    for entry in result["clients"]:
        cert = x509.load_pem_x509_certificate(Path(entry["certificate_path"]).read_bytes())
        cert.verify_directly_issued_by(ca)
        key = serialization.load_pem_private_key(Path(entry["private_key_path"]).read_bytes(), None)
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()
        fingerprints.add(entry["fingerprint_sha256"])
    assert len(fingerprints) == 5
    assert run(dict(batch_args, clients=clients, workers=workers, key_type="rsa", key_size=2048))["changed"] is False


def test_batch_of_new_keys_uses_worker_processes(batch_args, monkeypatch):
    """Key generation holds the GIL, so a batch must fan out to processes, not threads."""
    created = []
    real_context = leaf.multiprocessing.get_context

    def spying_context(method):
        ctx = real_context(method)
        real_pool = ctx.Pool

        def pool(processes):
            created.append(processes)
            return real_pool(processes=processes)
        ctx.Pool = pool
        return ctx
    monkeypatch.setattr(leaf.multiprocessing, "get_context", spying_context)
    monkeypatch.setattr(leaf, "available_cpus", lambda: 2)
    clients = [{"name": "c%d" % i, "common_name": "c%d" % i} for i in range(3)]
    run(dict(batch_args, clients=clients))
    assert created == [2]
    os.remove(Path(batch_args["directory"], "c0.crt"))
    run(dict(batch_args, clients=clients))
    assert created == [2], "one certificate to re-sign must not start a pool"


def test_diff_names_the_changed_clients_only(batch_args):
    run(batch_args)
    os.remove(Path(batch_args["directory"], "bob.p12"))
    result = run(batch_args)
    assert list(result["diff"]["before"]) == ["bob"] and result["diff"]["after"]["bob"]["reason"] == \
        "PKCS#12 file is missing"
    assert_no_secrets(result, P12_PASSWORD)


def test_encrypted_client_key_is_not_silently_replaced(batch_args):
    run(batch_args)
    path = Path(batch_args["directory"], "alice.key")
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"user-pass")))
    before = snapshot(Path(batch_args["directory"]))
    with pytest.raises(PkiError, match="alice: .*alice.key is encrypted, but client keys are kept unencrypted"):
        run(batch_args)
    assert snapshot(Path(batch_args["directory"])) == before


def test_check_mode_diff_shows_the_subject_the_certificate_will_have(batch_args):
    run(batch_args)
    result = run(dict(batch_args, organization_name="newco"), check_mode=True)
    after = result["diff"]["after"]["alice"]
    assert after["subject"] == "CN=alice.example.com,O=newco" and after["subject_alt_names"] == ["DNS:alice.example.com"]
    assert result["diff"]["before"]["alice"]["subject"] == "CN=alice.example.com,O=alibaba"


def test_many_resigns_without_new_keys_also_use_the_pool(batch_args, monkeypatch):
    clients = [{"name": "c%d" % i, "common_name": "c%d" % i} for i in range(leaf.MIN_RESIGNS_FOR_POOL)]
    run(dict(batch_args, clients=clients, workers=1))
    keys_before = {c["name"]: Path(batch_args["directory"], c["name"] + ".key").read_bytes() for c in clients}
    pools = []
    real_context = leaf.multiprocessing.get_context

    def spying_context(method):
        pools.append(method)
        return real_context(method)
    monkeypatch.setattr(leaf.multiprocessing, "get_context", spying_context)
    result = run(dict(batch_args, clients=clients, workers=2, organization_name="renamed"))
    assert pools == ["fork"] and result["issued"] == len(clients)
    assert all(Path(batch_args["directory"], n + ".key").read_bytes() == k for n, k in keys_before.items())
    assert all("subject differs" in c["reason"] for c in result["clients"])


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_a_client_whose_files_would_be_the_cas_own_is_refused_and_nothing_is_written(batch_args, tmp_path,
                                                                                     check_mode):
    """A client named after the CA's files, in the CA's directory: its certificate would replace root.crt and
    root.p12 would carry the CA's key (the client key path is the CA key), to be handed to a client."""
    ca_dir = tmp_path / "ca"
    before = snapshot(tmp_path)
    args = dict(batch_args, directory=str(ca_dir),
                clients=_clients({"name": "alice", "common_name": "alice"}, {"name": "root", "common_name": "bob"}))
    with pytest.raises(PkiError) as error:
        run(args, check_mode=check_mode)
    assert str(error.value) == (
        "clients[1] (root): its key file: %s is the signing CA's private key (ca_private_key_path); writing there "
        "would replace the CA, so give the client another name or set directory to a directory of its own"
        % (ca_dir / "root.key"))
    assert snapshot(tmp_path) == before


def test_a_ca_directory_reached_through_a_symbolic_link_is_recognised(batch_args, tmp_path):
    (tmp_path / "pki-link").symlink_to(tmp_path / "ca")
    before = snapshot(tmp_path / "ca")
    with pytest.raises(PkiError, match=r"^clients\[0\] \(root\): its key file: .*pki-link/root.key is the signing"):
        run(dict(batch_args, directory=str(tmp_path / "pki-link"), clients=_clients({"name": "root",
                                                                                     "common_name": "bob"})))
    assert snapshot(tmp_path / "ca") == before


@pytest.mark.parametrize("file_name", ["bob.p12", "bob.crt", "bob.key"])
@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_a_directory_where_a_clients_file_goes_is_refused_before_any_file_is_written(batch_args, tmp_path, file_name,
                                                                                     check_mode):
    """It used to fail at the atomic replace of bob.p12, after alice's three files and bob's key and certificate
    were written, with changed=false and no option named."""
    directory = Path(batch_args["directory"])
    (directory / file_name).mkdir(parents=True)
    before = snapshot(tmp_path)
    with pytest.raises(PkiError) as error:
        run(batch_args, check_mode=check_mode)
    kind = {"p12": "PKCS#12", "crt": "certificate", "key": "key"}[file_name.split(".")[1]]
    assert str(error.value) == ("clients[1] (bob): its %s file: %s is a directory, where the module writes a file; "
                                "move it away or choose another path" % (kind, directory / file_name))
    assert snapshot(tmp_path) == before and sorted(os.listdir(directory)) == [file_name]


def test_a_key_behind_a_symbolic_link_gets_the_key_mode(batch_args, tmp_path):
    """The key moved elsewhere, linked back, and made world-readable: the run follows the link, as
    ansible.builtin.file does, and gives the key its 0600 (it used to report nothing and leave it 0644)."""
    run(batch_args)
    link = Path(batch_args["directory"], "alice.key")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "alice.key"
    link.rename(target)
    link.symlink_to(target)
    target.chmod(0o644)

    planned = by_name(run(batch_args, check_mode=True))["alice"]
    assert planned["changed"] and planned["reason"] == "file attributes changed"
    assert target.stat().st_mode & 0o777 == 0o644
    fixed = by_name(run(batch_args))["alice"]
    assert fixed["changed"] and fixed["reason"] == "file attributes changed"
    assert target.stat().st_mode & 0o777 == 0o600 and link.is_symlink()
    assert run(batch_args)["changed"] is False
