"""The store's tables, in SQLAlchemy Core. Alembic migrations create and change them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

sources = Table(
    "sources", metadata,
    Column("name", String(200), primary_key=True),
    Column("location", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),  # still in the config
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("next_check_at", UTCDateTime, nullable=False),
    Column("last_check_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("entries_seen", Integer, nullable=False, default=0),
    Column("kind", String(16), nullable=False, server_default="feed"),
    Column("created_at", UTCDateTime),
    Column("interval", Float),  # chosen at the last poll, for `status`
    Column("lease_owner", String(100)),  # the replica polling it now, if any
    Column("lease_until", UTCDateTime),  # ... until then, unless it renews
    # Source health (sourcehealth.py): when its current run of errors began, when it last
    # brought a new entry, and the health state last announced (NULL: ok) since when.
    Column("failing_since", UTCDateTime),
    Column("last_new_at", UTCDateTime),
    Column("health", String(16)),
    Column("health_at", UTCDateTime),
)

entries = Table(
    "entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("key_hash", String(40), nullable=False),  # sha1 of the entry key: a small index
    Column("key", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("story", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text),  # set to NULL once older than keep_text
    Column("published_at", UTCDateTime),
    Column("seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "key_hash", name="uq_entries_source_key"),
    Index("ix_entries_seen_at", "seen_at"),
    Index("ix_entries_story", "story"),
    Index("ix_entries_source_published", "source", "published_at"),
)

alerts = Table(  # the outbox: one row per story and channel (one message), the rules inside
    "alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("story", String(64), nullable=False),
    Column("watchlist", String(200), nullable=False),
    Column("rule", String(200), nullable=False),
    Column("channel", String(200), nullable=False),
    Column("entry_id", Integer, ForeignKey("entries.id"), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("payload", Text, nullable=False),  # the Alert as JSON, rendered at delivery
    Column("state", String(16), nullable=False),  # pending | sent | failed | digest
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    Column("lease_owner", String(100)),  # the replica delivering it now, if any
    Column("lease_until", UTCDateTime),
    Index("ix_alerts_due", "state", "next_attempt_at"),
    Index("ix_alerts_story_channel", "story", "channel"),
)

alert_rules = Table(
    "alert_rules", metadata,  # each rule that fired for a story on a channel, once
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("story", String(64), nullable=False),
    Column("watchlist", String(200), nullable=False),
    Column("rule", String(200), nullable=False),
    Column("channel", String(200), nullable=False),
    # the outbox row (one message) that carries it; set in the transaction that adds it
    Column("alert_id", Integer, ForeignKey("alerts.id")),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("story", "watchlist", "rule", "channel", name="uq_alert_rules_once"),
    Index("ix_alert_rules_alert", "alert_id"),
    Index("ix_alert_rules_watchlist", "watchlist", "alert_id"),
)

story_threads = Table(
    "story_threads", metadata,  # a story that alerted on a channel: what its updates build on
    Column("story", String(64), primary_key=True),
    Column("channel", String(200), primary_key=True),
    Column("first_alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("title", Text, nullable=False),  # the first message's headline
    Column("first_sent_at", UTCDateTime, nullable=False),
    Column("updates", Integer, nullable=False, default=0),  # updates queued so far
    Column("last_at", UTCDateTime, nullable=False),  # the first message's or last update's
    # what the channel was last told: independent outlets, the places and groups named
    # (a JSON list), the highest priority
    Column("outlets", Integer, nullable=False),
    Column("concepts", Text, nullable=False),
    Column("priority", String(16), nullable=False),
    Column("pending_update", Integer),  # the outbox row of an update not sent yet
    # the killed figure the channel was last told (count, qualifier); null: none told
    Column("killed", Integer),
    Column("killed_qualifier", String(16)),
)

topic_stories = Table(
    "topic_stories", metadata,  # each story that matched a surge topic, once: what surges count
    Column("topic", String(300), primary_key=True),  # "place:Aleppo", "rule:syria/Fighting"
    Column("story", String(64), primary_key=True),
    Column("seen_at", UTCDateTime, nullable=False),
    Index("ix_topic_stories_seen", "topic", "seen_at"),
)

surge_topics = Table(
    "surge_topics", metadata,  # a topic's surge state (surges.SurgeState), shared by replicas
    Column("topic", String(300), primary_key=True),
    Column("since", UTCDateTime, nullable=False),  # when counting began
    Column("window", Float, nullable=False),  # seconds; and the rest of its settings, as
    Column("min_stories", Integer, nullable=False),  # configured when it last matched
    Column("channels", Text, nullable=False),  # JSON list: where its surge alerts go
    Column("label", Text, nullable=False),
    Column("watchlist", String(200), nullable=False),
    Column("active_since", UTCDateTime),
    Column("calm_since", UTCDateTime),
    Column("peak", Integer, nullable=False, default=0),
    Column("surge_id", Integer),  # the surges row of the surge on now
)

surges = Table(
    "surges", metadata,  # every surge: what `news-monitor surges` lists
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(300), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("count", Integer, nullable=False),  # stories in the window when it started
    Column("expected", Float, nullable=False),  # what the baseline expected
    Column("peak", Integer, nullable=False),
    Column("line", Text, nullable=False),  # "Aleppo: 14 stories in the last hour; usually 1.2"
    Index("ix_surges_started", "started_at"),
)

deliveries = Table(
    "deliveries", metadata,  # one row per message sent: what rate limits count
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(200), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("alerts", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # alert | group | digest | summary
    Index("ix_deliveries_channel_sent", "channel", "sent_at"),
)

health_notices = Table(
    "health_notices", metadata,  # a source's health change, queued for one channel
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("channel", String(200), nullable=False),
    Column("event", String(16), nullable=False),  # failing | recovered | silent | active
    Column("text", Text, nullable=False),  # the notice's line, written when it happened
    Column("state", String(16), nullable=False),  # pending | sent
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    Index("ix_health_notices_due", "state", "channel", "next_attempt_at"),
)

leases = Table(
    "leases", metadata,  # named leases: "channel:NAME" is held by the replica delivering it
    Column("name", String(300), primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("until", UTCDateTime, nullable=False),
)
