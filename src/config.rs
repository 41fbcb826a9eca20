//! The appliance's TOML config: every key with a default, validated at start.
//!
//! Placeholder: filled in by the appliance issue.
