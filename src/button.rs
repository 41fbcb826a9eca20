//! Button debouncing: a small pure state machine.
//!
//! Placeholder: filled in by the appliance issue.
