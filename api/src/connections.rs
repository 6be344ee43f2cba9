//! Caps on open subscription (WebSocket) connections: a number for the whole process, taken
//! before the upgrade, and a number per account, taken at `connection_init`. A connection
//! holds its places until it closes. Per process, like the rate limits (see
//! `docs/SECURITY.md`).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// How many subscription connections may be open at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// In the whole process (`PORTAL_WS_MAX_CONNECTIONS`).
    pub total: usize,
    /// For one account (`PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT`).
    pub per_account: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            total: 1000,
            per_account: 10,
        }
    }
}

/// The caps; cheap to clone.
#[derive(Clone, Debug)]
pub struct ConnectionCaps {
    slots: Arc<Semaphore>,
    per_account: usize,
    accounts: Arc<Mutex<HashMap<Uuid, usize>>>,
}

/// A place among the process's connections, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// A place among an account's connections, given back when dropped.
#[derive(Debug)]
pub struct AccountSlot {
    account_id: Uuid,
    accounts: Arc<Mutex<HashMap<Uuid, usize>>>,
}

impl ConnectionCaps {
    /// At most `total` connections, and `per_account` for one account.
    pub fn new(total: usize, per_account: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(total)),
            per_account,
            accounts: Arc::default(),
        }
    }

    /// How many connections one account may hold.
    pub fn per_account(&self) -> usize {
        self.per_account
    }

    /// A place for a new connection, if the process has one free.
    pub fn open(&self) -> Option<Slot> {
        self.slots
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|permit| Slot { _permit: permit })
    }

    /// A place for one more connection of `account_id`, if it has one free.
    pub fn sign_in(&self, account_id: Uuid) -> Option<AccountSlot> {
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        let open = accounts.entry(account_id).or_default();
        if *open >= self.per_account {
            return None;
        }
        *open += 1;
        Some(AccountSlot {
            account_id,
            accounts: self.accounts.clone(),
        })
    }
}

impl Drop for AccountSlot {
    fn drop(&mut self) {
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = accounts.get_mut(&self.account_id) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                accounts.remove(&self.account_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_given_back_when_dropped() {
        let caps = ConnectionCaps::new(2, 1);
        let first = caps.open();
        let second = caps.open();
        assert!(first.is_some() && second.is_some());
        assert!(caps.open().is_none());
        drop(first);
        assert!(caps.open().is_some());

        let account = Uuid::now_v7();
        let held = caps.sign_in(account);
        assert!(held.is_some());
        assert!(caps.sign_in(account).is_none());
        assert!(caps.sign_in(Uuid::now_v7()).is_some());
        drop(held);
        assert!(caps.sign_in(account).is_some());
    }
}
