"""Settings read once from ACADEMY_* environment variables and validated."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _words(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Read a comma-separated list (empty entries dropped)."""
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "") or default
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _subnets(env: Mapping[str, str]) -> str:
    """Read the IPv4 range sandbox networks come from: room for at least 16 small subnets."""
    import ipaddress

    raw = env.get("ACADEMY_SANDBOX_SUBNETS") or "10.213.0.0/16"
    try:
        network = ipaddress.IPv4Network(raw)
    except ValueError:
        raise ConfigError(
            f"ACADEMY_SANDBOX_SUBNETS must be an IPv4 network like 10.213.0.0/16, got {raw!r}"
        ) from None
    if not 8 <= network.prefixlen <= 24:
        raise ConfigError(f"ACADEMY_SANDBOX_SUBNETS must be a /8 to /24 range, got {raw!r}")
    return str(network)


@dataclass(frozen=True)
class Settings:
    """Everything the platform can be configured with."""

    env: str
    secret_key: str
    database_url: str
    content_dir: Path
    labs_dir: Path
    instance_dir: Path
    base_url: str
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    invitation_days: int = 7
    password_reset_minutes: int = 60
    docker_url: str = ""
    sandbox_pool_size: int = 2
    sandbox_idle_minutes: int = 30
    sandbox_hard_limit_minutes: int = 180
    sandbox_memory_mb: int = 768
    sandbox_cpus: float = 1.0
    sandbox_pids: int = 512
    sandbox_disk_mb: int = 2048
    sandbox_allow_outbound: bool = False
    sandbox_max_hosts: int = 0  # 0: as many as the machine's memory holds at full limits
    # The range sandbox networks take their small subnets from, and whether the platform
    # installs and verifies the firewall rules that fence them off the host (firewall.py).
    sandbox_subnets: str = "10.213.0.0/16"
    sandbox_firewall: bool = True
    # "local": this process talks to the Docker engine. "worker": it has no engine (the web
    # service of docker-compose.yml): whether labs can run comes from the worker's report.
    sandbox_engine: str = "local"
    # Browser terminals and watchers: open sockets per user, per sandbox and per process; the
    # largest message a browser may send; where the browser opens them (empty: this origin).
    terminals_per_user: int = 4
    terminals_per_sandbox: int = 8
    sockets_per_process: int = 500
    socket_message_bytes: int = 65536
    sockets_url: str = ""
    # Recordings: bytes per recording (all reconnects together), for all recordings, the free
    # disk below which no recording or sandbox starts, and how long recordings are kept.
    recording_max_mb: int = 64
    recordings_max_gb: int = 20
    disk_reserve_mb: int = 2048
    recording_days_evidence: int = 180
    recording_days_other: int = 30
    supervisor_in_web: bool = True
    certificate_months: int = 12
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "academy@localhost"
    # STARTTLS before anything else is said; credentials are only ever sent over it.
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    # Reverse proxies in front of the web process whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: int = 0
    # Live sandboxes one person may hold at once; Check and answer presses per lab session.
    sandboxes_per_trainee: int = 2
    lab_checks_per_minute: int = 12
    # OpenID Connect single sign-on (off while oidc_issuer is empty); see app/auth/sso.py.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = "single sign-on"
    oidc_roles_claim: str = "groups"
    oidc_admin_values: tuple[str, ...] = ()
    oidc_coordinator_values: tuple[str, ...] = ()
    oidc_cohort_claim: str = ""
    oidc_domains: tuple[str, ...] = ()
    oidc_local_login: str = "admins"
    # The learning record store that receives xAPI statements (off while empty); app/xapi/.
    lrs_url: str = ""
    lrs_username: str = ""
    lrs_password: str = ""
    # Prepared lab sandboxes (app/labs/warm.py): at most this many per lab (0: none; sized by
    # the lab's starts in the last hour), this many in all, and discarded after this many minutes.
    lab_prepared_per_lab: int = 2
    lab_prepared_total: int = 6
    lab_prepared_minutes: int = 30
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings from the environment."""
        env = os.environ if env is None else env
        mode = env.get("ACADEMY_ENV", "production")
        if mode not in ENVIRONMENTS:
            raise ConfigError(f"ACADEMY_ENV must be one of {', '.join(ENVIRONMENTS)}, got {mode!r}")
        instance = Path(env.get("ACADEMY_INSTANCE_DIR", str(ROOT / "instance"))).resolve()
        secret = env.get("ACADEMY_SECRET_KEY", "")
        if not secret:
            if mode == "production":
                raise ConfigError("ACADEMY_SECRET_KEY is required in production")
            secret = _development_secret(instance) if mode == "development" else "test-secret"
        database = env.get("ACADEMY_DATABASE_URL") or f"sqlite:///{instance / 'academy.sqlite3'}"
        if database.startswith("postgresql://") or database.startswith("postgres://"):
            # psycopg 3 is the driver; plain postgresql:// URLs would ask for psycopg2.
            database = "postgresql+psycopg://" + database.split("://", 1)[1]
        if not database.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ConfigError("ACADEMY_DATABASE_URL must be a sqlite: or postgresql: URL")
        try:
            cpus = float(env.get("ACADEMY_SANDBOX_CPUS", "1.0"))
        except ValueError:
            raise ConfigError("ACADEMY_SANDBOX_CPUS must be a number") from None
        smtp_starttls = _bool(env, "ACADEMY_SMTP_STARTTLS", False)
        smtp_username = env.get("ACADEMY_SMTP_USERNAME", "")
        if smtp_username and not smtp_starttls:
            raise ConfigError(
                "ACADEMY_SMTP_USERNAME needs ACADEMY_SMTP_STARTTLS=true: "
                "the password is never sent in the clear"
            )
        return cls(
            env=mode,
            secret_key=secret,
            database_url=database,
            content_dir=Path(env.get("ACADEMY_CONTENT_DIR", str(ROOT / "curriculum"))).resolve(),
            labs_dir=Path(env.get("ACADEMY_LABS_DIR", str(ROOT / "labs"))).resolve(),
            instance_dir=instance,
            base_url=env.get("ACADEMY_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            login_max_failures=_int(env, "ACADEMY_LOGIN_MAX_FAILURES", 5, 1),
            login_lockout_minutes=_int(env, "ACADEMY_LOGIN_LOCKOUT_MINUTES", 15, 1),
            invitation_days=_int(env, "ACADEMY_INVITATION_DAYS", 7, 1),
            password_reset_minutes=_int(env, "ACADEMY_PASSWORD_RESET_MINUTES", 60, 5),
            docker_url=env.get("ACADEMY_DOCKER_URL", ""),
            sandbox_pool_size=_int(env, "ACADEMY_SANDBOX_POOL_SIZE", 2),
            sandbox_idle_minutes=_int(env, "ACADEMY_SANDBOX_IDLE_MINUTES", 30, 1),
            sandbox_hard_limit_minutes=_int(env, "ACADEMY_SANDBOX_HARD_LIMIT_MINUTES", 180, 1),
            sandbox_memory_mb=_int(env, "ACADEMY_SANDBOX_MEMORY_MB", 768, 128),
            sandbox_cpus=cpus,
            sandbox_pids=_int(env, "ACADEMY_SANDBOX_PIDS", 512, 32),
            sandbox_disk_mb=_int(env, "ACADEMY_SANDBOX_DISK_MB", 2048, 256),
            sandbox_allow_outbound=_bool(env, "ACADEMY_SANDBOX_ALLOW_OUTBOUND", False),
            sandbox_max_hosts=_int(env, "ACADEMY_SANDBOX_MAX_HOSTS", 0),
            sandbox_subnets=_subnets(env),
            sandbox_firewall=_bool(env, "ACADEMY_SANDBOX_FIREWALL", True),
            sandbox_engine=_choice(env, "ACADEMY_SANDBOX_ENGINE", "local", ("local", "worker")),
            terminals_per_user=_int(env, "ACADEMY_TERMINALS_PER_USER", 4, 1),
            terminals_per_sandbox=_int(env, "ACADEMY_TERMINALS_PER_SANDBOX", 8, 1),
            sockets_per_process=_int(env, "ACADEMY_SOCKETS_PER_PROCESS", 500, 1),
            socket_message_bytes=_int(env, "ACADEMY_SOCKET_MESSAGE_BYTES", 65536, 1024),
            sockets_url=env.get("ACADEMY_SOCKETS_URL", "").rstrip("/"),
            recording_max_mb=_int(env, "ACADEMY_RECORDING_MAX_MB", 64, 1),
            recordings_max_gb=_int(env, "ACADEMY_RECORDINGS_MAX_GB", 20, 1),
            disk_reserve_mb=_int(env, "ACADEMY_DISK_RESERVE_MB", 2048, 0),
            recording_days_evidence=_int(env, "ACADEMY_RECORDING_DAYS_EVIDENCE", 180, 1),
            recording_days_other=_int(env, "ACADEMY_RECORDING_DAYS_OTHER", 30, 1),
            supervisor_in_web=_bool(env, "ACADEMY_SUPERVISOR_IN_WEB", mode != "test"),
            certificate_months=_int(env, "ACADEMY_CERTIFICATE_MONTHS", 12, 1),
            smtp_host=env.get("ACADEMY_SMTP_HOST", ""),
            smtp_port=_int(env, "ACADEMY_SMTP_PORT", 25, 1),
            smtp_sender=env.get("ACADEMY_SMTP_SENDER", "academy@localhost"),
            smtp_starttls=smtp_starttls,
            smtp_username=smtp_username,
            smtp_password=env.get("ACADEMY_SMTP_PASSWORD", ""),
            trusted_proxies=_int(env, "ACADEMY_TRUSTED_PROXIES", 0),
            sandboxes_per_trainee=_int(env, "ACADEMY_SANDBOXES_PER_TRAINEE", 2, 1),
            lab_checks_per_minute=_int(env, "ACADEMY_LAB_CHECKS_PER_MINUTE", 12, 1),
            oidc_issuer=env.get("ACADEMY_OIDC_ISSUER", "").rstrip("/"),
            oidc_client_id=env.get("ACADEMY_OIDC_CLIENT_ID", ""),
            oidc_client_secret=env.get("ACADEMY_OIDC_CLIENT_SECRET", ""),
            oidc_name=env.get("ACADEMY_OIDC_NAME", "") or "single sign-on",
            oidc_roles_claim=env.get("ACADEMY_OIDC_ROLES_CLAIM", "") or "groups",
            oidc_admin_values=_words(env, "ACADEMY_OIDC_ADMIN_VALUES"),
            oidc_coordinator_values=_words(env, "ACADEMY_OIDC_COORDINATOR_VALUES"),
            oidc_cohort_claim=env.get("ACADEMY_OIDC_COHORT_CLAIM", ""),
            oidc_domains=tuple(d.lower() for d in _words(env, "ACADEMY_OIDC_DOMAINS")),
            lrs_url=env.get("ACADEMY_LRS_URL", "").rstrip("/"),
            lrs_username=env.get("ACADEMY_LRS_USERNAME", ""),
            lrs_password=env.get("ACADEMY_LRS_PASSWORD", ""),
            oidc_local_login=_choice(
                env, "ACADEMY_OIDC_LOCAL_LOGIN", "admins", ("admins", "everyone")
            ),
            # Off in tests unless a test asks: prepared sandboxes would start beside its own.
            lab_prepared_per_lab=_int(
                env, "ACADEMY_LAB_PREPARED_PER_LAB", 0 if mode == "test" else 2
            ),
            lab_prepared_total=_int(env, "ACADEMY_LAB_PREPARED_TOTAL", 6),
            lab_prepared_minutes=_int(env, "ACADEMY_LAB_PREPARED_MINUTES", 30, 1),
        )

    def replace(self, **changes: object) -> Settings:
        """Return a copy with some settings changed (used by tests and benchmarks)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def _development_secret(instance: Path) -> str:
    """Keep one random key per development checkout so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
