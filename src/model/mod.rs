//! Entra Connect's object model: connectors, configuration parameters and
//! the password-sync configuration.
