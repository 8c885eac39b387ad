//! Every scope rule, through the whole pipeline and on the policy alone.

mod sync_support;

use hashsync::model::ManagedDomainSettings;
use hashsync::sync::reference::{InMemorySource, InMemoryTransport};
use hashsync::sync::{
    AccountCredentials, ChannelConfig, Driver, Event, InMemoryCursorStore, ScopeDecision,
    ScopePolicy, SelectivePasswordHashSync, SkipReason, SourceAccount, VirtualClock,
};
use hashsync::{NtHash, Password};
use sync_support::*;

fn base(n: u32, sam: &str) -> SourceAccount {
    cleartext_user(n, &user_vectors()[0], u64::from(n)).tap(|a| {
        a.sam_account_name = sam.to_owned();
        a.user_principal_name = None;
    })
}

trait Tap: Sized {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
impl<T> Tap for T {}

/// Accounts, each excluded by exactly one rule, plus two in scope.
fn cases() -> Vec<(SourceAccount, Option<SkipReason>)> {
    vec![
        (base(1, "plain"), None),
        (
            base(2, "disabled").tap(|a| a.user_account_control = 0x202),
            Some(SkipReason::Disabled),
        ),
        (
            // Selective password hash sync is opt-in: off by default.
            base(3, "filtered").tap(|a| a.admin_description = Some("PHSFiltered".into())),
            None,
        ),
        (
            base(4, "MSOL_0a1b2c3d4e5f"),
            Some(SkipReason::SyncServiceAccount),
        ),
        (
            base(5, "AAD_7c1e9a0b2d3f"),
            Some(SkipReason::SyncServiceAccount),
        ),
        (
            base(6, "krbtgt").tap(|a| a.is_critical_system_object = true),
            Some(SkipReason::CriticalSystemObject),
        ),
        (
            base(7, "mustchange").tap(|a| a.pwd_last_set = 0),
            Some(SkipReason::MustChangePassword),
        ),
        (
            base(8, "WKS01$").tap(|a| a.object_class = "computer".into()),
            Some(SkipReason::ObjectClass),
        ),
        (
            base(9, "described").tap(|a| a.admin_description = Some("User_Something".into())),
            None,
        ),
        // The default sync rules' exclusions.
        (base(12, ""), Some(SkipReason::NoSamAccountName)),
        (base(13, "SUPPORT_388945a0"), Some(SkipReason::SupportAccount)),
        (
            base(14, "SystemMailbox{1f05a927-3be2-4fb9-aa03-b59fe3b56f4c}"),
            Some(SkipReason::ExchangeSystemMailbox),
        ),
        (
            base(15, "CAS_{8cc370d3-822a-4ab8-a926-bb94bd0641a9}"),
            Some(SkipReason::ExchangeSystemMailbox),
        ),
        (
            base(16, "conflicted").tap(|a| {
                a.distinguished_name = "CN=conflicted\\0ACNF:5f7a3c1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b,CN=Users,DC=onprem,DC=contoso,DC=com".into()
            }),
            Some(SkipReason::ReplicationConflict),
        ),
    ]
}

/// How many of `cases()` are in scope by default.
const IN_SCOPE_BY_DEFAULT: usize = 3;

#[test]
fn policy_applies_each_default_rule() {
    let policy = ScopePolicy::default();
    for (account, expected) in cases() {
        let decision = policy.decide(&account);
        match expected {
            Some(reason) => assert_eq!(
                decision,
                ScopeDecision::Skip(reason),
                "{}",
                account.sam_account_name
            ),
            None => assert_eq!(
                decision,
                ScopeDecision::Sync {
                    force_change_on_logon: false
                },
                "{}",
                account.sam_account_name
            ),
        }
    }
    // Case-insensitive where AD is.
    let odd_case = base(10, "msol_abc").tap(|a| a.object_class = "User".into());
    assert_eq!(
        policy.decide(&odd_case),
        ScopeDecision::Skip(SkipReason::SyncServiceAccount)
    );
    let lower_conflict =
        base(17, "c2").tap(|a| a.distinguished_name = "CN=c2\\0acnf:x,DC=x".into());
    assert_eq!(
        policy.decide(&lower_conflict),
        ScopeDecision::Skip(SkipReason::ReplicationConflict)
    );
    let raw_conflict = base(18, "c3").tap(|a| a.distinguished_name = "CN=c3\nCNF:x,DC=x".into());
    assert_eq!(
        policy.decide(&raw_conflict),
        ScopeDecision::Skip(SkipReason::ReplicationConflict)
    );
}

#[test]
fn selective_password_hash_sync_excludes_or_includes_by_admin_description() {
    let filtered = base(1, "filtered").tap(|a| a.admin_description = Some("PHSFiltered".into()));
    let included = base(2, "included").tap(|a| a.admin_description = Some("phsincluded".into()));
    let plain = base(3, "plain");
    let in_scope = ScopeDecision::Sync {
        force_change_on_logon: false,
    };

    let mut exclude = ScopePolicy::default();
    exclude.selective = SelectivePasswordHashSync::Exclude;
    assert_eq!(
        exclude.decide(&filtered),
        ScopeDecision::Skip(SkipReason::PhsFiltered)
    );
    assert_eq!(exclude.decide(&included), in_scope);
    assert_eq!(exclude.decide(&plain), in_scope);

    let mut include = ScopePolicy::default();
    include.selective = SelectivePasswordHashSync::Include;
    assert_eq!(
        include.decide(&filtered),
        ScopeDecision::Skip(SkipReason::NotPhsIncluded)
    );
    assert_eq!(include.decide(&included), in_scope);
    assert_eq!(
        include.decide(&plain),
        ScopeDecision::Skip(SkipReason::NotPhsIncluded)
    );
    // The other rules still apply to included accounts.
    let disabled = base(4, "dis").tap(|a| {
        a.admin_description = Some("PHSIncluded".into());
        a.user_account_control = 0x202;
    });
    assert_eq!(
        include.decide(&disabled),
        ScopeDecision::Skip(SkipReason::Disabled)
    );

    // Through the pipeline: only the included account travels.
    let mut config = ChannelConfig::new(AD, AAD);
    config.scope.selective = SelectivePasswordHashSync::Include;
    let (transport, _) = sync(
        vec![filtered.clone(), included.clone(), plain.clone()],
        config,
    );
    assert_eq!(transport.len(), 1);
    assert!(
        transport
            .get(AAD, &included.object_guid.source_anchor())
            .is_some()
    );
    let mut config = ChannelConfig::new(AD, AAD);
    config.scope.selective = SelectivePasswordHashSync::Exclude;
    let (transport, _) = sync(vec![filtered.clone(), included, plain], config);
    assert_eq!(transport.len(), 2);
    assert!(
        transport
            .get(AAD, &filtered.object_guid.source_anchor())
            .is_none()
    );
}

#[test]
fn must_change_password_synced_with_flag_when_tenant_feature_is_on() {
    let mut policy = ScopePolicy::default();
    policy.force_password_change_on_logon = true;
    let account = base(7, "mustchange").tap(|a| a.pwd_last_set = 0);
    assert_eq!(
        policy.decide(&account),
        ScopeDecision::Sync {
            force_change_on_logon: true
        }
    );
    let normal = base(1, "plain");
    assert_eq!(
        policy.decide(&normal),
        ScopeDecision::Sync {
            force_change_on_logon: false
        }
    );
}

#[test]
fn rules_are_configurable() {
    let mut policy = ScopePolicy::default();
    policy.object_classes = vec!["user".into(), "inetOrgPerson".into()];
    policy.skip_disabled = false;
    policy.default_exclusions = false;
    policy.service_account_prefixes = vec![];
    policy.skip_critical_system_objects = false;
    policy.force_password_change_on_logon = false;
    for (account, expected) in cases() {
        let decision = policy.decide(&account);
        let still_out = matches!(
            expected,
            Some(SkipReason::MustChangePassword | SkipReason::ObjectClass)
        );
        assert_eq!(
            matches!(decision, ScopeDecision::Skip(_)),
            still_out,
            "{}",
            account.sam_account_name
        );
    }
    let person = base(11, "person").tap(|a| a.object_class = "inetOrgPerson".into());
    assert!(matches!(policy.decide(&person), ScopeDecision::Sync { .. }));
}

fn sync(accounts: Vec<SourceAccount>, config: ChannelConfig) -> (InMemoryTransport, Recorder) {
    let source = InMemorySource::new(directory_with(accounts));
    let mut transport = InMemoryTransport::new();
    let mut recorder = Recorder::default();
    let mut driver = Driver::with_clock(
        &mut transport,
        InMemoryCursorStore::new(),
        VirtualClock::new(),
        &mut recorder,
    );
    driver.start_channel(config, source, false).unwrap();
    driver.run_cycle().unwrap();
    drop(driver);
    (transport, recorder)
}

#[test]
fn pipeline_sends_only_in_scope_accounts_and_reports_the_rest() {
    let cases = cases();
    let accounts = cases.iter().map(|(a, _)| a.clone()).collect();
    let (transport, recorder) = sync(accounts, ChannelConfig::new(AD, AAD));
    for (account, expected) in &cases {
        let anchor = account.object_guid.source_anchor();
        assert_eq!(
            transport.get(AAD, &anchor).is_some(),
            expected.is_none(),
            "{}",
            account.sam_account_name
        );
        if let Some(reason) = expected {
            assert!(recorder.events.iter().any(|e| matches!(
                e,
                Event::AccountSkipped { source_anchor, reason: r, .. } if *source_anchor == anchor && r == reason
            )));
        }
    }
    assert_eq!(transport.len(), IN_SCOPE_BY_DEFAULT);
}

#[test]
fn force_change_flag_travels_with_the_update() {
    let mut config = ChannelConfig::new(AD, AAD);
    config.scope.force_password_change_on_logon = true;
    let account = base(7, "mustchange").tap(|a| a.pwd_last_set = 0);
    let anchor = account.object_guid.source_anchor();
    let (transport, recorder) = sync(vec![account, base(1, "plain")], config);
    assert!(transport.get(AAD, &anchor).unwrap().force_change_on_logon);
    assert!(
        !transport
            .get(AAD, &guid(1).source_anchor())
            .unwrap()
            .force_change_on_logon
    );
    assert!(recorder.events.iter().any(|e| matches!(
        e,
        Event::PasswordChangeRequest { source_anchor, force_change_on_logon: true, .. } if *source_anchor == anchor
    )));
}

#[test]
fn without_ntlm_sync_the_nt_hash_is_random_but_org_id_comes_from_the_real_one() {
    let v = &user_vectors()[0];
    let real = NtHash::from_hex(&v.nt_hash_hex).unwrap();
    let config = ChannelConfig::new(AD, AAD)
        .with_domain_services(Some({
            let mut settings = ManagedDomainSettings::default();
            settings.sync_ntlm_passwords = false;
            settings
        }))
        .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext);
    let accounts = vec![cleartext_user(1, v, 1), cleartext_user(2, v, 2)];
    let (transport, _) = sync(accounts, config);
    let first = transport.get(AAD, &guid(1).source_anchor()).unwrap();
    let second = transport.get(AAD, &guid(2).source_anchor()).unwrap();
    assert_ne!(plaintext(first).nt_hash, real);
    assert_ne!(plaintext(second).nt_hash, real);
    assert_ne!(
        plaintext(first).nt_hash,
        plaintext(second).nt_hash,
        "fresh random per update"
    );
    assert!(first.org_id.verify_nt_hash(&real));
    assert!(first.org_id.verify_password(&Password::new(&v.password)));
    // The Kerberos keys are still the real ones.
    let aes256 = &plaintext_keys(first)[0];
    assert_eq!(aes256.to_hex().as_str(), v.aes256_hex);
}

#[test]
fn org_id_salt_is_fresh_per_update() {
    let v = &user_vectors()[0];
    let (transport, _) = sync(
        vec![cleartext_user(1, v, 1), cleartext_user(2, v, 2)],
        ChannelConfig::new(AD, AAD),
    );
    let a = transport.get(AAD, &guid(1).source_anchor()).unwrap();
    let b = transport.get(AAD, &guid(2).source_anchor()).unwrap();
    assert_ne!(a.org_id.salt(), b.org_id.salt());
    let real = NtHash::from_hex(&v.nt_hash_hex).unwrap();
    assert!(a.org_id.verify_nt_hash(&real) && b.org_id.verify_nt_hash(&real));
}

#[test]
fn overlong_cleartext_is_rejected_not_sent() {
    let long = "x".repeat(257);
    let account = base(1, "toolong")
        .tap(|a| a.credentials = AccountCredentials::Cleartext(Password::new(&long)));
    let (transport, recorder) = sync(vec![account], ChannelConfig::new(AD, AAD));
    assert!(transport.is_empty());
    let detail = recorder
        .events
        .iter()
        .find_map(|e| match e {
            Event::AccountSkipped {
                reason: SkipReason::InvalidInput,
                detail,
                ..
            } => detail.clone(),
            _ => None,
        })
        .unwrap();
    assert!(detail.contains("257"), "{detail}");
    assert!(!detail.contains("xxx"), "no secret in events");
}

#[test]
fn events_never_contain_secrets_and_carry_entra_connect_ids_or_null() {
    let vectors = user_vectors();
    let accounts = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| cleartext_user(i as u32 + 1, v, i as u64 + 1))
        .collect();
    let config = ChannelConfig::new(AD, AAD)
        .with_domain_services(Some(ManagedDomainSettings::default()))
        .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext);
    let (transport, recorder) = sync(accounts, config);
    let mut text = String::new();
    for event in &recorder.events {
        let json = serde_json::to_value(event).unwrap();
        match event.entra_connect_id() {
            Some(id) => {
                assert_eq!(json["id"].as_u64(), Some(u64::from(id)));
                assert!((605..=657).contains(&id));
            }
            None => assert!(json["id"].is_null(), "{json}"),
        }
        assert_eq!(json["kind"], event.kind());
        assert_eq!(json["connector"], AD);
        text.push_str(&json.to_string());
        text.push_str(&format!("{event:?}"));
    }
    for v in &vectors {
        assert!(!text.contains(&v.password), "password leaked");
        assert!(
            !text.to_lowercase().contains(&v.nt_hash_hex),
            "NT hash leaked"
        );
        assert!(!text.contains(&v.aes256_hex), "key leaked");
    }
    for (_, update) in transport.state() {
        assert!(!text.contains(update.org_id.encode().as_str()));
        assert!(!format!("{update:?}").contains(&plaintext(update).nt_hash.to_hex().to_string()));
    }
}
