-- Placeholder: the Beacon schema is being written.
CREATE TABLE IF NOT EXISTS plans (code text PRIMARY KEY);
