# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mtls.clb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The CA that signs client and server certificates, loaded and checked before any work."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
except ImportError:  # reported by the modules through errors.CRYPTOGRAPHY_IMPORT_ERROR
    pass

from ansible_collections.mtls.clb.plugins.module_utils.pki.certificates import (
    is_supported_signing_key,
    iso8601,
    load_certificate,
    not_valid_after,
    utcnow,
)
from ansible_collections.mtls.clb.plugins.module_utils.pki.errors import PkiError
from ansible_collections.mtls.clb.plugins.module_utils.pki.files import read_file_or_none, same_file
from ansible_collections.mtls.clb.plugins.module_utils.pki.keys import (
    KeyLoadError,
    load_private_key,
    same_public_key,
)


class SigningCA(object):
    """A CA certificate and its private key, both checked to be usable for signing."""

    def __init__(self, certificate_path, private_key_path, passphrase, warn):
        """`warn`: the module's warn; what it is given holds paths and option names only, nothing secret."""
        self.certificate_path = certificate_path
        self.private_key_path = private_key_path
        cert_data = read_file_or_none(certificate_path)
        if cert_data is None:
            raise PkiError("ca_certificate_path: %s does not exist; create the CA first with "
                           "mtls.clb.pki_root_ca" % certificate_path)
        self.certificate = load_certificate(cert_data, "ca_certificate_path: %s" % certificate_path)
        self._check_is_ca(certificate_path)
        key_data = read_file_or_none(private_key_path)
        if key_data is None:
            raise PkiError("ca_private_key_path: %s does not exist" % private_key_path)
        try:
            self.key = load_private_key(key_data, passphrase, "ca_private_key_path: %s" % private_key_path,
                                        option="ca_private_key_passphrase")
        except KeyLoadError as exc:
            if exc.kind != "not_encrypted":
                raise
            # A passphrase given for a plain key is harmless to signing (we only read the key), but whoever set it
            # believes the CA key is protected on disk: say that it is not.
            self.key = load_private_key(key_data, None, private_key_path)
            warn(
                "ca_private_key_path: %s is not encrypted although ca_private_key_passphrase is set, so the CA key "
                "is stored unprotected; mtls.clb.pki_root_ca with private_key_passphrase re-writes the same key "
                "encrypted" % private_key_path)
        if not is_supported_signing_key(self.key):
            raise PkiError("ca_private_key_path: %s is not an RSA or ECDSA key" % private_key_path)
        if not same_public_key(self.key, self.certificate.public_key()):
            raise PkiError("ca_private_key_path: %s does not belong to the certificate in "
                           "ca_certificate_path %s; point both options at the same CA"
                           % (private_key_path, certificate_path))

    def _check_is_ca(self, path):
        try:
            constraints = self.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is None or not constraints.ca:
            raise PkiError("ca_certificate_path: %s is not a CA certificate (basicConstraints CA:TRUE is "
                           "missing); use a certificate made by mtls.clb.pki_root_ca" % path)
        try:
            usage = self.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            usage = None
        if usage is not None and not usage.key_cert_sign:
            raise PkiError("ca_certificate_path: %s may not sign certificates (keyUsage lacks keyCertSign)" % path)
        if not_valid_after(self.certificate) <= utcnow():
            raise PkiError("ca_certificate_path: %s expired on %s; renew it with mtls.clb.pki_root_ca"
                           % (path, iso8601(not_valid_after(self.certificate))))

    def refuse_as_output(self, outputs, fix):
        """Refuse, before anything is written, to write a certificate, key or PKCS#12 file over the CA's own
        certificate or key: a client named after the CA's file in the CA's directory, or a server certificate
        path that is the CA's, would replace the CA (and put the CA key into a .p12 to be handed out, or issue
        a server certificate for the CA key). `outputs`: (path, what) pairs, `what` naming the option or file;
        `fix`: what to do instead."""
        ca_files = ((self.certificate_path, "certificate (ca_certificate_path)"),
                    (self.private_key_path, "private key (ca_private_key_path)"))
        for path, what in outputs:
            for ca_path, ca_what in ca_files:
                if same_file(path, ca_path):
                    raise PkiError("%s: %s is the signing CA's %s; writing there would replace the CA, so %s"
                                   % (what, path, ca_what, fix))

    @property
    def common_name(self):
        values = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return values[0].value if values else None
