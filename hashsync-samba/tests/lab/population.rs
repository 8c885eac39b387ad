//! The accounts the real-server test creates at both DCs.

#![allow(dead_code)]

use serde_json::{Value, json};

pub const BULK: usize = 70;

pub struct Account {
    pub name: String,
    pub password: String,
    pub upn: Option<&'static str>,
    pub disabled: bool,
    pub must_change: bool,
}

pub fn user(name: &str, password: &str) -> Account {
    Account {
        name: name.to_owned(),
        password: password.to_owned(),
        upn: None,
        disabled: false,
        must_change: false,
    }
}

pub fn long_password() -> String {
    let password: String = "Long-password-0123456789-"
        .chars()
        .cycle()
        .take(120)
        .collect();
    assert_eq!(password.chars().count(), 120);
    password
}

/// The accounts synced (in scope) and those scope must refuse.
pub fn accounts() -> (Vec<Account>, Vec<Account>) {
    let mut in_scope = vec![
        Account {
            upn: Some("John.Doe@contoso.example"),
            ..user("jdoe", "Upn-Passw0rd")
        },
        user("umlaut", "Pässwörd-äöü-日本語-✓"),
        user("long120", &long_password()),
        user("spaces", "  spaced out password  "),
    ];
    for i in 1..=BULK {
        in_scope.push(user(&format!("bulk{i:03}"), &format!("Bulk-{i}-Passw0rd")));
    }
    let out_of_scope = vec![
        Account {
            disabled: true,
            ..user("disabled1", "Disabled-Passw0rd")
        },
        Account {
            must_change: true,
            ..user("mustchange", "MustChange-Passw0rd")
        },
        user("MSOL_0123456789ab", "Msol-Passw0rd"),
    ];
    (in_scope, out_of_scope)
}

pub fn create_ops(accounts: &[Account], target_copy: bool) -> Vec<Value> {
    accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if target_copy {
                // Same names at the target, unrelated passwords.
                json!({"op": "user", "name": a.name, "password": format!("Target-{i}-{}", std::process::id())})
            } else {
                json!({"op": "user", "name": a.name, "password": a.password, "upn": a.upn,
                       "disabled": a.disabled, "must_change": a.must_change})
            }
        })
        .collect()
}
