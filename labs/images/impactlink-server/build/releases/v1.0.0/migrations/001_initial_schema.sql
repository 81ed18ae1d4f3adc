-- Core tables. Keys are UUIDs, money is numeric(12,2) in ZAR.
-- Foreign keys are deliberately left without indexes, as in production.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    user_type     text NOT NULL DEFAULT 'donor'
                  CHECK (user_type IN ('donor', 'charity_admin', 'admin', 'corporate_admin')),
    first_name    text,
    last_name     text,
    phone         text,
    company_id    uuid,
    is_verified   boolean NOT NULL DEFAULT false,
    last_login    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE charities (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                     text NOT NULL,
    description              text,
    category                 text NOT NULL DEFAULT 'other'
                             CHECK (category IN ('education', 'health', 'environment', 'poverty', 'animals', 'other')),
    registration_number      text UNIQUE,
    verification_status      text NOT NULL DEFAULT 'pending'
                             CHECK (verification_status IN ('pending', 'verified', 'rejected')),
    admin_user_id            uuid REFERENCES users (id),
    website                  text,
    province                 text,
    city                     text,
    total_donations_received numeric(12,2) NOT NULL DEFAULT 0,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    charity_id     uuid NOT NULL REFERENCES charities (id),
    title          text NOT NULL,
    description    text,
    target_amount  numeric(12,2) NOT NULL,
    raised_amount  numeric(12,2) NOT NULL DEFAULT 0,
    unit_cost      numeric(12,2),
    unit_name      text,
    status         text NOT NULL DEFAULT 'active',
    start_date     date,
    end_date       date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE donations (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    donor_id                 uuid REFERENCES users (id),
    charity_id               uuid NOT NULL REFERENCES charities (id),
    project_id               uuid REFERENCES projects (id),
    campaign_id              uuid,
    amount                   numeric(12,2) NOT NULL CHECK (amount >= 1),
    currency                 char(3) NOT NULL DEFAULT 'ZAR',
    transaction_fee          numeric(12,2) NOT NULL DEFAULT 0,
    net_amount               numeric(12,2) NOT NULL,
    payment_method           text NOT NULL DEFAULT 'credit_card'
                             CHECK (payment_method IN ('credit_card', 'debit_card', 'bank_transfer')),
    payment_status           text NOT NULL DEFAULT 'pending'
                             CHECK (payment_status IN ('pending', 'completed', 'failed', 'refunded')),
    stripe_payment_intent_id text,
    is_recurring             boolean NOT NULL DEFAULT false,
    recurring_frequency      text CHECK (recurring_frequency IN ('monthly', 'quarterly', 'yearly')),
    is_anonymous             boolean NOT NULL DEFAULT false,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE saved_charities (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id),
    charity_id uuid NOT NULL REFERENCES charities (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, charity_id)
);
