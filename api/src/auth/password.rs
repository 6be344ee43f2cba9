//! Passwords: the policy a new password must meet, and Argon2id hashing.
//!
//! Hashing and checking are deliberately slow, so they run on a few threads of their own and
//! never hold up the async threads that serve other requests (see [`on_hashing_thread`]).

use std::sync::LazyLock;

use anyhow::{Context, anyhow};
use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::crypto::random_bytes;

const MIN_CHARS: usize = 12;
const MAX_CHARS: usize = 128;
/// The email's local part is only refused inside a password from this length on: shorter ones
/// ("al", "ngo") are common letter runs, not personal information.
const MIN_LOCAL_PART_CHARS: usize = 4;
/// Words an attacker who knows this service tries first; zxcvbn counts them as known words.
const SERVICE_WORDS: &[&str] = &["osce", "partner", "portal", "dushanbe", "tajikistan"];

/// Argon2id with OWASP's minimum: 19 MiB, two passes, one lane.
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_BYTES: usize = 32;

/// The characters of [`one_time_password`]: lower case and digits without the look-alikes
/// 0/o, 1/l. Exactly 32, so one random byte masked to five bits picks one without bias.
const ONE_TIME_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
const ONE_TIME_GROUPS: usize = 4;
const ONE_TIME_GROUP_CHARS: usize = 5;

/// A new password that meets the policy. "Parse, don't validate": [`NewPassword::parse`] is the
/// only way to make one, so a `NewPassword` needs no further checks.
#[derive(Debug)]
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Checks `candidate` against the policy: 12 to 128 characters; not the account's email and
    /// without its local part (when that has at least 4 characters), ignoring case; and hard to
    /// guess (a zxcvbn score of at least 3, with the email, its local part, the display name and
    /// this service's words as known words).
    ///
    /// # Errors
    ///
    /// The first rule the candidate breaks, as a [`PasswordProblem`].
    pub fn parse(
        candidate: &str,
        email: &str,
        display_name: &str,
    ) -> Result<Self, PasswordProblem> {
        let length = candidate.chars().count();
        if length < MIN_CHARS {
            return Err(PasswordProblem::TooShort);
        }
        if length > MAX_CHARS {
            return Err(PasswordProblem::TooLong);
        }

        let email = email.trim().to_lowercase();
        let local_part = email
            .rsplit_once('@')
            .map_or(email.as_str(), |(local_part, _domain)| local_part);
        let lowered = candidate.to_lowercase();
        let contains_email = !email.is_empty() && lowered.contains(&email);
        let contains_local_part =
            local_part.chars().count() >= MIN_LOCAL_PART_CHARS && lowered.contains(local_part);
        if contains_email || contains_local_part {
            return Err(PasswordProblem::ContainsEmail);
        }

        let mut known_words = vec![email.as_str(), local_part, display_name];
        known_words.extend(display_name.split_whitespace());
        known_words.extend(SERVICE_WORDS);
        known_words.retain(|word| !word.is_empty());
        let estimate = zxcvbn::zxcvbn(candidate, &known_words);
        if estimate.score() < zxcvbn::Score::Three {
            return Err(PasswordProblem::TooGuessable {
                hint: estimate.feedback().and_then(hint),
            });
        }
        Ok(Self(SecretString::from(candidate)))
    }

    /// The password itself, for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// zxcvbn's warning and suggestions as sentences, if it has any.
fn hint(feedback: &zxcvbn::feedback::Feedback) -> Option<String> {
    let sentences: Vec<String> = feedback
        .warning()
        .map(|warning| warning.to_string())
        .into_iter()
        .chain(feedback.suggestions().iter().map(ToString::to_string))
        .collect();
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    /// It is the email address or contains its local part.
    ContainsEmail,
    /// zxcvbn estimates it can be guessed; `hint` is its advice, in English sentences.
    TooGuessable {
        hint: Option<String>,
    },
}

impl PasswordProblem {
    /// A sentence for a `BAD_USER_INPUT` error that says what to do instead.
    pub fn message(&self) -> String {
        match self {
            Self::TooShort => format!(
                "Use at least {MIN_CHARS} characters. A few unrelated words make a long password \
                 that is easy to remember."
            ),
            Self::TooLong => format!("Use at most {MAX_CHARS} characters."),
            Self::ContainsEmail => {
                "Do not use your email address or the part before the @ in your password."
                    .to_owned()
            }
            Self::TooGuessable { hint: Some(hint) } => {
                format!("This password is too easy to guess. {hint}")
            }
            Self::TooGuessable { hint: None } => "This password is too easy to guess. Add \
                 another word or two, avoiding common words, names and dates."
                .to_owned(),
        }
    }
}

/// Hashes a new password with Argon2id (m = 19456 KiB, t = 2, p = 1) and a random salt, as a PHC
/// string, on a password-hashing thread.
///
/// # Errors
///
/// If the blocking task fails; argon2 does not fail with these parameters.
pub async fn hash(password: &NewPassword) -> anyhow::Result<String> {
    hash_trusted(password.0.clone()).await
}

/// Hashes a password that is not held to the policy because this code made or chose it (a
/// [`one_time_password`], a demo account's password), like [`hash`].
///
/// # Errors
///
/// If the blocking task fails.
pub async fn hash_trusted(password: SecretString) -> anyhow::Result<String> {
    on_hashing_thread(move || {
        let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(hash_error)?;
        let hash = hasher()?
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map_err(hash_error)?;
        Ok(hash.to_string())
    })
    .await
}

/// Hashes again, with the current parameters, a password that [`verify`] has just matched
/// against a hash that `needs_rehash`. It is not held to today's policy: it was accepted when it
/// was set, and refusing it now would lock its owner out.
///
/// # Errors
///
/// If the blocking task fails.
pub async fn rehash(password: SecretString) -> anyhow::Result<String> {
    hash_trusted(password).await
}

/// Result of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub matches: bool,
    /// The stored hash is not Argon2id with the current parameters: after a successful sign-in
    /// the caller stores a new hash of the password.
    pub needs_rehash: bool,
}

/// Builds the dummy hash that unknown emails are checked against, so that the first such
/// sign-in costs what every other one does.
///
/// # Errors
/// When hashing fails.
pub async fn warm_up() -> anyhow::Result<()> {
    verify(SecretString::from(String::new()), None)
        .await
        .map(|_| ())
}

/// Checks `candidate` against `stored`, a PHC string, on a password-hashing thread.
///
/// Without a stored hash (no account has the email) the candidate is checked against a dummy
/// hash with the same parameters, so the time taken does not tell whether the account exists;
/// the answer is then always "no match". A malformed stored hash never matches.
///
/// # Errors
///
/// If the blocking task fails.
pub async fn verify(candidate: SecretString, stored: Option<String>) -> anyhow::Result<Verified> {
    on_hashing_thread(move || {
        let candidate = candidate.expose_secret().as_bytes();
        let Some(stored) = stored else {
            check_against_dummy(candidate)?;
            return Ok(Verified {
                matches: false,
                needs_rehash: false,
            });
        };
        let stored = match PasswordHash::new(&stored) {
            Ok(stored) => stored,
            Err(error) => {
                // The error says what is wrong with the format, never the hash or the password.
                tracing::warn!(%error, "a stored password hash is malformed");
                check_against_dummy(candidate)?;
                return Ok(Verified {
                    matches: false,
                    needs_rehash: false,
                });
            }
        };
        let matches = match hasher()?.verify_password(candidate, &stored) {
            Ok(()) => true,
            Err(password_hash::Error::Password) => false,
            Err(error) => {
                tracing::warn!(%error, "a stored password hash cannot be checked");
                false
            }
        };
        Ok(Verified {
            matches,
            needs_rehash: !has_current_parameters(&stored),
        })
    })
    .await
}

/// A random one-time password for new accounts and resets, such as `k7pxq-3mwra-h9ctz-e2vnu`:
/// four groups of five characters without look-alikes (100 bits), which passes the policy.
///
/// # Panics
///
/// When the operating system has no random numbers (see [`random_bytes`]).
pub fn one_time_password() -> String {
    let bytes = random_bytes::<{ ONE_TIME_GROUPS * ONE_TIME_GROUP_CHARS }>();
    bytes
        .chunks(ONE_TIME_GROUP_CHARS)
        .map(|group| {
            group
                .iter()
                .map(|&byte| char::from(ONE_TIME_ALPHABET[usize::from(byte & 0x1f)]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_BYTES))
        .map_err(|error| anyhow!("invalid Argon2 parameters: {error}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn has_current_parameters(stored: &PasswordHash<'_>) -> bool {
    let Ok(params) = Params::try_from(stored) else {
        return false;
    };
    stored.algorithm == Algorithm::Argon2id.ident()
        && stored.version == Some(Version::V0x13.into())
        && params.m_cost() == M_COST_KIB
        && params.t_cost() == T_COST
        && params.p_cost() == P_COST
        && params.output_len() == Some(OUTPUT_BYTES)
}

/// A hash of a password nobody has, made once with the current parameters, so that checking
/// against it costs what checking a real account costs.
static DUMMY_HASH: LazyLock<anyhow::Result<String>> = LazyLock::new(|| {
    let salt = SaltString::from_b64("ZHVtbXlzYWx0ZHVtbXlzYWx0").map_err(hash_error)?;
    let hash = hasher()?
        .hash_password(b"the password of no account", &salt)
        .map_err(hash_error)?;
    Ok(hash.to_string())
});

fn check_against_dummy(candidate: &[u8]) -> anyhow::Result<()> {
    let dummy = DUMMY_HASH
        .as_ref()
        .map_err(|error| anyhow!("cannot make the dummy password hash: {error:#}"))?;
    let dummy = PasswordHash::new(dummy).map_err(hash_error)?;
    // Only the time spent matters; the answer is "no match" whatever it says.
    let _ = hasher()?.verify_password(candidate, &dummy);
    Ok(())
}

/// `password_hash::Error` is not `std::error::Error` without its `std` feature.
fn hash_error(error: password_hash::Error) -> anyhow::Error {
    anyhow!("password hashing failed: {error}")
}

/// Runs slow work on one of the password-hashing threads, inside the caller's tracing span.
///
/// Hashing has threads of its own rather than tokio's blocking pool: each Argon2 hash takes a
/// 19 MiB block, and glibc keeps freed memory in the arena of the thread that freed it. On the
/// blocking pool, which grows to hundreds of threads, a storm of sign-ins left 19 MiB or more
/// behind on each thread it touched (over 500 MiB in the benchmarks); on a fixed set of threads
/// the same blocks are reused, so hashing memory stays at about 19 MiB per thread.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let span = tracing::Span::current();
    let (done, result) = tokio::sync::oneshot::channel();
    let job: HashingJob = Box::new(move || {
        // The caller may have gone (a cancelled request); the result is then dropped.
        let _ = done.send(span.in_scope(work));
    });
    HASHING_THREADS
        .as_ref()
        .map_err(|error| anyhow!("{error}"))?
        .send(job)
        .map_err(|_| anyhow!("the password hashing threads have stopped"))?;
    result
        .await
        .context("the password hashing task did not finish")?
}

type HashingJob = Box<dyn FnOnce() + Send>;

/// The queue of the password-hashing threads. There are as many threads as cores but one (at
/// least one), so that a storm of sign-ins never takes every core from the readers: jobs beyond
/// that wait in the queue, first come first served. The threads live as long as the process.
static HASHING_THREADS: LazyLock<Result<std::sync::mpsc::Sender<HashingJob>, String>> =
    LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let (jobs, queue) = std::sync::mpsc::channel::<HashingJob>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let mut started = 0;
        for index in 0..cores.saturating_sub(1).max(1) {
            let queue = std::sync::Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || run_hashing_jobs(&queue));
            match spawned {
                Ok(_) => started += 1,
                Err(error) => tracing::error!(%error, "cannot start a password hashing thread"),
            }
        }
        if started == 0 {
            return Err("no password hashing thread could be started".to_owned());
        }
        Ok(jobs)
    });

/// The nice value of the hashing threads: when every core is busy, a thread at nice 0 gets
/// about nine times the CPU of one at 10 (Linux's CFS weights 1024 and 110).
const HASHING_NICE: i32 = 10;

/// Gives the calling thread [`HASHING_NICE`], so that when the cores are all busy the readers
/// win them and a storm of sign-ins slows itself down rather than the reads; with a core idle
/// it makes no difference. Linux only, where a thread has a nice value of its own (elsewhere
/// `setpriority` would lower the whole process, so the threads keep the process's priority).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::process::setpriority_process(None, HASHING_NICE) {
        tracing::warn!(%error, "cannot lower the priority of a password hashing thread");
    }
}

/// The loop of one hashing thread: take the next job, run it, until the queue is gone. A job
/// that panics ends only itself (its caller gets an error), not the thread.
fn run_hashing_jobs(queue: &std::sync::Mutex<std::sync::mpsc::Receiver<HashingJob>>) {
    lower_priority();
    loop {
        let job = {
            let Ok(queue) = queue.lock() else {
                return;
            };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_yield_the_cores_to_readers() {
        let hashing = on_hashing_thread(|| Ok(rustix::process::getpriority_process(None)?))
            .await
            .expect("a hashing thread's nice value");
        // At least HASHING_NICE: a process started nicer than that stays as nice.
        assert!(hashing >= HASHING_NICE, "hashing thread at nice {hashing}");
    }

    const EMAIL: &str = "nilufar.rahimova@partner.example.tj";
    const NAME: &str = "Nilufar Rahimova";
    const PASSPHRASE: &str = "velvet lantern orbits quietly";

    fn problem(candidate: &str) -> PasswordProblem {
        NewPassword::parse(candidate, EMAIL, NAME).expect_err("refused")
    }

    fn secret(text: &str) -> SecretString {
        SecretString::from(text)
    }

    fn weak_hash(password: &str) -> String {
        let params = Params::new(4096, 1, 1, None).expect("valid parameters");
        let salt = SaltString::encode_b64(&[7_u8; 16]).expect("valid salt");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .expect("hashes")
            .to_string()
    }

    #[test]
    fn a_strong_passphrase_is_accepted() {
        let password = NewPassword::parse(PASSPHRASE, EMAIL, NAME).expect("strong");

        assert_eq!(password.expose(), PASSPHRASE);
    }

    #[test]
    fn length_is_counted_in_characters() {
        // 12 Cyrillic characters are 24 bytes; the length rule must see 12.
        assert_eq!(problem("жёлтый_кит7"), PasswordProblem::TooShort);
        assert!(NewPassword::parse("жёлтый кит плывёт домой", EMAIL, NAME).is_ok());
    }

    #[test]
    fn short_and_long_passwords_are_refused() {
        assert_eq!(problem("Xq7#vL9!pz2"), PasswordProblem::TooShort);
        assert_eq!(problem(&"x".repeat(129)), PasswordProblem::TooLong);
        // 128 characters pass the length rule and fall to the guessability one.
        assert!(matches!(
            problem(&"x".repeat(128)),
            PasswordProblem::TooGuessable { .. }
        ));
    }

    #[test]
    fn the_email_and_its_local_part_are_refused_in_any_case() {
        assert_eq!(problem(EMAIL), PasswordProblem::ContainsEmail);
        assert_eq!(
            problem("NILUFAR.RAHIMOVA quiet orbit"),
            PasswordProblem::ContainsEmail
        );
        // A local part of three characters is too common a letter run to refuse.
        assert!(NewPassword::parse("velvet ngo lantern orbits", "ngo@example.tj", "").is_ok());
        assert_eq!(
            NewPassword::parse("velvet ngo@example.tj", "ngo@example.tj", "").expect_err("refused"),
            PasswordProblem::ContainsEmail
        );
    }

    #[test]
    fn guessable_passwords_are_refused_with_advice() {
        for candidate in [
            "password1234",
            "qwertyuiop12",
            "Nilufar Rahimova 1990",
            "Dushanbe2024!",
        ] {
            let problem = problem(candidate);
            assert!(
                matches!(problem, PasswordProblem::TooGuessable { .. }),
                "{candidate}: {problem:?}"
            );
        }
        let PasswordProblem::TooGuessable { hint: Some(hint) } = problem("password1234") else {
            panic!("zxcvbn gives advice on common passwords");
        };
        assert_eq!(
            hint,
            "This is a very common password. Add another word or two. Uncommon words are better."
        );
    }

    #[test]
    fn messages_are_sentences() {
        let problems = [
            PasswordProblem::TooShort,
            PasswordProblem::TooLong,
            PasswordProblem::ContainsEmail,
            PasswordProblem::TooGuessable { hint: None },
            problem("password1234"),
        ];
        for problem in problems {
            let message = problem.message();
            assert!(message.starts_with(char::is_uppercase), "{message}");
            assert!(message.ends_with('.'), "{message}");
            assert!(!message.contains("  "), "{message}");
        }
        assert!(
            PasswordProblem::TooShort
                .message()
                .starts_with("Use at least 12 characters.")
        );
    }

    #[test]
    fn one_time_passwords_pass_the_policy_and_differ() {
        let first = one_time_password();
        let second = one_time_password();

        assert_ne!(first, second);
        assert_eq!(first.len(), 23);
        assert_eq!(first.split('-').count(), 4);
        assert!(
            first
                .chars()
                .all(|c| c == '-' || ONE_TIME_ALPHABET.contains(&(c as u8)))
        );
        assert!(NewPassword::parse(&first, EMAIL, NAME).is_ok(), "{first}");
    }

    // The hashing tests each cost a few Argon2 runs; keep them few.

    #[tokio::test]
    async fn hashes_asked_at_once_queue_for_the_hashing_threads_and_all_finish() {
        let passwords = ["first passphrase", "second passphrase", "third passphrase"];
        let hashes = futures_util::future::join_all(
            passwords.map(|password| hash_trusted(secret(password))),
        )
        .await;
        for (password, hash) in passwords.into_iter().zip(hashes) {
            let hash = hash.expect("hashed");
            let verified = verify(secret(password), Some(hash.clone()))
                .await
                .expect("verified");
            assert!(verified.matches, "{password}");
            let other = verify(secret("another passphrase"), Some(hash))
                .await
                .expect("verified");
            assert!(!other.matches, "{password}");
        }
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = NewPassword::parse(PASSPHRASE, EMAIL, NAME).expect("strong");
        let stored = hash(&password).await.expect("hashes");

        let right = verify(secret(PASSPHRASE), Some(stored.clone()))
            .await
            .expect("checks");
        let wrong = verify(secret("velvet lantern orbits loudly"), Some(stored.clone()))
            .await
            .expect("checks");

        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(
            right,
            Verified {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(!wrong.matches);
        assert_ne!(
            hash(&password).await.expect("hashes"),
            stored,
            "salts differ"
        );
    }

    #[tokio::test]
    async fn an_unknown_account_or_a_malformed_hash_never_matches() {
        let unknown = verify(secret(PASSPHRASE), None).await.expect("checks");
        let malformed = verify(
            secret("anything"),
            Some("$argon2id$v=19$garbage".to_owned()),
        )
        .await
        .expect("checks");
        let empty = verify(secret(""), Some(String::new()))
            .await
            .expect("checks");

        assert!(!unknown.matches);
        assert!(!malformed.matches);
        assert!(!empty.matches);
    }

    #[tokio::test]
    async fn a_weaker_hash_still_verifies_and_asks_for_a_rehash() {
        let stored = weak_hash(PASSPHRASE);

        let right = verify(secret(PASSPHRASE), Some(stored.clone()))
            .await
            .expect("checks");
        let wrong = verify(secret("something else entirely"), Some(stored))
            .await
            .expect("checks");

        assert_eq!(
            right,
            Verified {
                matches: true,
                needs_rehash: true
            }
        );
        assert!(!wrong.matches);
    }

    #[test]
    fn only_argon2id_with_the_current_parameters_needs_no_rehash() {
        let dummy = DUMMY_HASH.as_ref().expect("dummy hash");
        let current = PasswordHash::new(dummy).expect("PHC string");
        let weak = weak_hash("x");
        let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$ZHVtbXlzYWx0ZHVtbXlzYWx0$\
                       AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

        assert!(has_current_parameters(&current));
        assert!(!has_current_parameters(
            &PasswordHash::new(&weak).expect("PHC string")
        ));
        assert!(!has_current_parameters(
            &PasswordHash::new(argon2i).expect("PHC string")
        ));
    }
}
