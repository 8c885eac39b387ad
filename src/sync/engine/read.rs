//! Reading: a source account through the scope rules into an update
//! request, or a skip with its reason.

use std::sync::Arc;

use crate::crypto::{AccountSaltAttributes, Salt};
use crate::secret::AD_MAX_PASSWORD_UNITS;

use super::super::credential::{
    AccountCredentials, RequestCredentials, SourceAccount, UpdateRequest,
};
use super::super::delivery::LegacyDelivery;
use super::super::event::Event;
use super::super::scope::{ScopeDecision, SkipReason};
use super::Channel;
use super::queue::Entry;

impl Channel {
    pub(super) fn handle_account(&mut self, index: usize, account: SourceAccount) {
        let track = &mut self.partitions[index];
        let seq = track.next_seq;
        track.next_seq += 1;
        track.counts.read += 1;
        self.cycle.counts.read += 1;
        let read = track.counts.read;
        if track.full_sync && read.is_multiple_of(self.config.progress_interval.max(1)) {
            self.progress_event(index);
        }
        let request = match self.config.scope.decide(&account) {
            ScopeDecision::Skip(reason) => {
                return self.skip(index, &account, reason, None);
            }
            ScopeDecision::Sync {
                force_change_on_logon,
            } => match self.build_request(index, &account, force_change_on_logon) {
                Ok(request) => request,
                Err(detail) => {
                    return self.skip(index, &account, SkipReason::InvalidInput, Some(detail));
                }
            },
        };
        self.partitions[index].unfinished.insert(seq);
        let entry = Entry {
            partition: index,
            seq,
            usn: account.usn,
            request: Arc::new(request),
            attempts: 0,
            retry_at: None,
            timer: 0,
        };
        self.enqueue(account.object_guid, entry);
    }

    fn build_request(
        &self,
        index: usize,
        account: &SourceAccount,
        force_change_on_logon: bool,
    ) -> Result<UpdateRequest, String> {
        let info = &self.partitions[index].info;
        let credentials = match &account.credentials {
            AccountCredentials::Cleartext(password) => {
                password.check_ad_length().map_err(|_| {
                    format!(
                        "password is {} UTF-16 units long; Active Directory allows at most {}",
                        password.len_utf16(),
                        AD_MAX_PASSWORD_UNITS
                    )
                })?;
                let salt = Salt::for_account(&AccountSaltAttributes {
                    realm: info.realm(),
                    dns_domain: info.dns_name(),
                    sam_account_name: &account.sam_account_name,
                    user_principal_name: account.user_principal_name.as_deref(),
                    user_account_control: account.user_account_control,
                })
                .map_err(|err| err.to_string())?;
                RequestCredentials::Cleartext {
                    password: password.clone(),
                    salt,
                }
            }
            AccountCredentials::Stored(stored) => RequestCredentials::Stored(stored.clone()),
            AccountCredentials::StoredAttributes(raw) => {
                RequestCredentials::StoredAttributes(raw.clone())
            }
        };
        Ok(UpdateRequest {
            object_guid: account.object_guid,
            distinguished_name: account.distinguished_name.clone(),
            sam_account_name: account.sam_account_name.clone(),
            usn: account.usn,
            change_date: account.change_date(),
            cloud_anchor: account.cloud_anchor.clone(),
            credentials,
            force_change_on_logon,
            domain_services: self.config.domain_services,
            // `validate` refused a channel that sends legacy credentials
            // without a delivery: the clear default here only ever goes
            // with updates that carry none.
            delivery: self
                .config
                .legacy_delivery
                .clone()
                .unwrap_or(LegacyDelivery::Plaintext),
            org_id_iterations: self.config.org_id_iterations,
        })
    }

    fn skip(
        &mut self,
        index: usize,
        account: &SourceAccount,
        reason: SkipReason,
        detail: Option<String>,
    ) {
        self.partitions[index].counts.skipped += 1;
        self.cycle.counts.skipped += 1;
        let partition = self.partition_dn(index);
        self.push_event(|connector, connector_id| Event::AccountSkipped {
            connector,
            connector_id,
            partition,
            source_anchor: account.object_guid.source_anchor(),
            sam_account_name: account.sam_account_name.clone(),
            usn: account.usn,
            reason,
            detail,
        });
    }
}
