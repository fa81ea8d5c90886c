"""A Linux client reached over SSH, as site.yml's users reach theirs: a private `sshd` on 127.0.0.1, a
non-root login user with passwordless sudo, the system `/usr/bin/python3` with no site packages, and a
filesystem that differs from the controller's where it matters.

`sshd` runs inside a mount namespace of its own (`unshare --mount --propagation private`, as
scripts/molecule.sh does for /home/ca), in which:

- tmpfs hides what the controller has or writes and a remote host would not share: /home (the client's
  /home/ca and the login user's home are made there, empty), /root, the checkout (its venv and
  collection) and the directories the caller names (the controller's PKI, its $HOME);
- tmpfs hides the system Python's site directories (site.getsitepackages()), so the client's Python has
  the standard library only: no `cryptography`, no SDK, whatever the machine has installed;
- the login user, its group, its shadow entry (`*`: no password, not locked) and its sudoers rule exist
  only in bind-mounted copies of /etc/passwd, /etc/group, /etc/shadow and /etc/sudoers.d;
- tmpfs on /tmp and /var/tmp give the client scratch directories of its own (what a run leaves there is
  the client's, and the controller's temporary files are not there);
- tmpfs on /run (sshd's privilege separation directory /run/sshd, sudo's timestamps) and on /var/log
  (sshd's wtmp/lastlog) keep every trace of the logins in the namespace.

Nothing is written outside the caller's temporary directory on the host: no user, no sudoers file, no
/run/sshd. The namespace ends with its last process; `stop()` ends them all by PID.

Needs root (mount namespaces, sshd's privilege separation, the login as another user) and the Debian
packages openssh-server (sshd, ssh-keygen), openssh-client (ssh), sudo and util-linux (unshare).
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ansible_run import REPO_ROOT

CLIENT_PYTHON = "/usr/bin/python3"
LOGIN_USER = "mtlsclb"
# Which Debian package brings each program the client needs (.ci/run installs them, bindep.txt lists them).
PREREQUISITES = {"sshd": "openssh-server", "ssh-keygen": "openssh-client", "ssh": "openssh-client",
                 "sudo": "sudo", "unshare": "util-linux", "curl": "curl"}


def find_program(name: str) -> str | None:
    """`name` on PATH or in /usr/sbin (root's PATH may lack it, e.g. under sudo or in a container)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def missing_prerequisites() -> list[str]:
    """What keeps an SSH client from being started here, each with its fix; [] when nothing does."""
    problems = []
    if os.geteuid() != 0:
        problems.append("root is needed (mount namespace, sshd's privilege separation, a login as another user)")
    missing = sorted({package for program, package in PREREQUISITES.items() if not find_program(program)})
    if missing:
        problems.append("install the Debian package(s) %s (.ci/run does)" % ", ".join(missing))
    if not os.access(CLIENT_PYTHON, os.X_OK):
        problems.append("%s is missing: install the Debian package python3" % CLIENT_PYTHON)
    return problems


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_id(taken: set[int], start: int = 4200) -> int:
    candidate = start
    while candidate in taken:
        candidate += 1
    return candidate


@dataclass
class SshClient:
    """A running client: `inventory_vars()` for its inventory entry, `run()` for a command on it."""
    directory: Path
    port: int
    user: str
    process: subprocess.Popen
    namespace: str
    log: Path
    hidden: list[str] = field(default_factory=list)

    @property
    def private_key(self) -> Path:
        return self.directory / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    def ssh_options(self) -> list[str]:
        # -F none: the controller's ~/.ssh/config (a User, a ProxyJump for 127.0.0.1) is not this client's.
        return ["-F", "none", "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]

    def inventory_vars(self) -> dict:
        """The host variables a user writes for an SSH host: address, port, user, key, Python."""
        return {"ansible_host": "127.0.0.1", "ansible_port": self.port, "ansible_user": self.user,
                "ansible_ssh_private_key_file": str(self.private_key),
                "ansible_ssh_common_args": shlex.join(self.ssh_options()),
                "ansible_python_interpreter": CLIENT_PYTHON}

    def run(self, command: str, timeout: int = 30) -> subprocess.CompletedProcess:
        """`command` through the login user's shell on the client (prefix it with `sudo -n` for root)."""
        return subprocess.run(["ssh", *self.ssh_options(), "-i", str(self.private_key),
                               "-p", str(self.port), f"{self.user}@127.0.0.1", command],
                              capture_output=True, text=True, timeout=timeout, check=False)

    def revoke_sudo(self) -> None:
        """Take the login user's sudo rule away (the namespace's /etc/sudoers.d is bound from here)."""
        (self.directory / "etc" / "sudoers.d" / "mtls-clb-ssh").unlink()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def namespace_pids(self) -> list[int]:
        """Every process in the client's mount namespace (sshd, its sessions, sudo, Python): all started here."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.readlink(entry / "ns" / "mnt") == self.namespace:
                        pids.append(int(entry.name))
                except OSError:
                    continue
        return pids

    def stop(self) -> None:
        """End sshd and whatever still runs in its namespace (a session Ansible's ControlPersist keeps)."""
        for signum in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.namespace_pids():
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while self.namespace_pids() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self.namespace_pids():
                break
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


# Where the client sees this test's directory (sshd_config, host key, pid file, the accounts): /tmp is hidden.
CLIENT_MOUNT = "/run/mtls-clb-ssh"
# Runs as root inside the new mount namespace; "$@" = the paths to hide with tmpfs. The binds come first:
# the paths they read from may be hidden after.
NAMESPACE_SCRIPT = r"""
set -eu
dir=$1; mnt=$2; user=$3; uid=$4; gid=$5; shift 5
mount -t tmpfs -o mode=0755 mtls-clb-ssh-run /run
mkdir -m 0755 /run/sshd "$mnt"
mount --bind "$dir" "$mnt"
for file in passwd group shadow; do mount --bind "$mnt/etc/$file" "/etc/$file"; done
mount --bind "$mnt/etc/sudoers.d" /etc/sudoers.d
mount -t tmpfs -o mode=0755 mtls-clb-ssh-log /var/log
for hidden in "$@"; do
  [ -d "$hidden" ] && mount -t tmpfs -o mode=0755 mtls-clb-ssh-hidden "$hidden"
done
for scratch in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 mtls-clb-ssh-tmp "$scratch"; done
mount -t tmpfs -o mode=0755 mtls-clb-ssh-home /home
mkdir -m 0700 "/home/$user" "/home/$user/.ssh"
cp "$mnt/id_ed25519.pub" "/home/$user/.ssh/authorized_keys"
chmod 0600 "/home/$user/.ssh/authorized_keys"
chown -R "$uid:$gid" "/home/$user"
exec "$SSHD" -D -e -f "$mnt/sshd_config"
"""


def _write_accounts(directory: Path, user: str) -> tuple[int, int]:
    """Copies of /etc/passwd, /etc/group, /etc/shadow with `user` added, and a sudoers.d with its rule."""
    etc = directory / "etc"
    (etc / "sudoers.d").mkdir(parents=True)
    uid = free_id({entry.pw_uid for entry in pwd.getpwall()})
    gid = free_id({entry.gr_gid for entry in grp.getgrall()})
    for name, line, mode in (("passwd", f"{user}:x:{uid}:{gid}:mtls.clb SSH test:/home/{user}:/bin/sh", 0o644),
                             ("group", f"{user}:x:{gid}:", 0o644),
                             ("shadow", f"{user}:*:20000:0:99999:7:::", 0o640)):
        text = Path("/etc", name).read_text()
        if text and not text.endswith("\n"):
            text += "\n"
        path = etc / name
        path.write_text(text + line + "\n")
        path.chmod(mode)
        original = os.stat(Path("/etc", name))
        os.chown(path, original.st_uid, original.st_gid)
    rule = etc / "sudoers.d" / "mtls-clb-ssh"
    rule.write_text(f"{user} ALL=(ALL:ALL) NOPASSWD: ALL\n")
    rule.chmod(0o440)
    (etc / "sudoers.d").chmod(0o755)
    return uid, gid


def _site_packages() -> list[str]:
    """The system Python's site directories that exist: hidden on the client."""
    listed = subprocess.run([CLIENT_PYTHON, "-c", "import json, site; print(json.dumps(site.getsitepackages()"
                                                  " + [site.getusersitepackages()]))"],
                            capture_output=True, text=True, check=True, timeout=30).stdout
    return [path for path in json.loads(listed) if os.path.isdir(path)]


def start_ssh_client(directory: Path, hide: list[Path | str] = ()) -> SshClient:
    """sshd on 127.0.0.1 in its own mount namespace (see the module's docstring); `hide` lists more
    controller directories the client must not see (it sees `directory` as CLIENT_MOUNT)."""
    problems = missing_prerequisites()
    if problems:
        raise RuntimeError("; ".join(problems))
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name in ("host_ed25519", "id_ed25519"):
        subprocess.run([find_program("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", "mtls-clb-ssh-test",
                        "-f", str(directory / name)], check=True, capture_output=True, timeout=30)
    uid, gid = _write_accounts(directory, LOGIN_USER)
    port = free_port()
    (directory / "known_hosts").write_text(
        f"[127.0.0.1]:{port} " + " ".join((directory / "host_ed25519.pub").read_text().split()[:2]) + "\n")
    (directory / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {CLIENT_MOUNT}/host_ed25519",
        f"PidFile {CLIENT_MOUNT}/sshd.pid", "UsePAM no", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "PermitRootLogin no",
        f"AllowUsers {LOGIN_USER}", "PrintMotd no", "PrintLastLog no", "UseDNS no", "LogLevel VERBOSE",
        "Subsystem sftp internal-sftp", ""]))
    hidden = [str(path) for path in (*hide, REPO_ROOT, "/root", *_site_packages())]
    log = directory / "sshd.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [find_program("unshare"), "--mount", "--propagation", "private", "bash", "-c", NAMESPACE_SCRIPT,
             "mtls-clb-ssh", str(directory), CLIENT_MOUNT, LOGIN_USER, str(uid), str(gid), *hidden],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SSHD": find_program("sshd")})
    client = None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            namespace = os.readlink(f"/proc/{process.pid}/ns/mnt")
        except OSError:
            namespace = None
        if namespace and namespace != os.readlink("/proc/self/ns/mnt"):
            client = client or SshClient(directory, port, LOGIN_USER, process, namespace, log, hidden)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return client
            except OSError:
                pass
        time.sleep(0.1)
    if client is not None:
        client.stop()
    elif process.poll() is None:
        process.kill()
        process.wait(timeout=5)
    raise RuntimeError("sshd did not start on 127.0.0.1:%d:\n%s" % (port, log.read_text(errors="replace")[-3000:]))
