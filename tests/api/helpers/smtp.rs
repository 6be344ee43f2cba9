//! A real SMTP server for the mail tests, on the `mailin` protocol crate: it listens on a
//! local port, requires AUTH (PLAIN or LOGIN) with the given credentials, and keeps every
//! message it accepts. Plain TCP: the transport's STARTTLS is opportunistic, and this server
//! offers none.

use std::{
    io::{BufRead, BufReader, Write},
    net::{IpAddr, TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::Engine;
use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder, response};

/// One message the server accepted.
#[derive(Clone, Debug)]
pub struct Received {
    /// The user the client authenticated as.
    pub user: String,
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (RFC 5322, CRLF line ends).
    pub data: Vec<u8>,
}

impl Received {
    /// The message as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A running test server; it runs until the test process ends.
pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

#[derive(Clone)]
struct Session {
    user: String,
    password: String,
    authenticated: Option<String>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Handler for Session {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        from.clone_into(&mut self.from);
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = Received {
            user: self.authenticated.clone().unwrap_or_default(),
            from: self.from.clone(),
            to: self.to.clone(),
            data: std::mem::take(&mut self.data),
        };
        self.received.lock().expect("lock").push(message);
        response::OK
    }

    fn auth_plain(&mut self, _authorization: &str, user: &str, password: &str) -> Response {
        self.check(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.check(user, password)
    }
}

impl Session {
    fn check(&mut self, user: &str, password: &str) -> Response {
        if user == self.user && password == self.password {
            self.authenticated = Some(user.to_owned());
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

impl SmtpServer {
    /// Starts a server on a free port, accepting `user` with `password`.
    pub fn start(user: &str, password: &str) -> Self {
        Self::serve(
            TcpListener::bind("127.0.0.1:0").expect("bind the SMTP server"),
            user,
            password,
        )
    }

    /// Starts a server on `port` (one that was closed: the server "comes back").
    pub fn start_on(port: u16, user: &str, password: &str) -> Self {
        Self::serve(
            TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP server again"),
            user,
            password,
        )
    }

    fn serve(listener: TcpListener, user: &str, password: &str) -> Self {
        let port = listener.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let session = Session {
            user: user.to_owned(),
            password: password.to_owned(),
            authenticated: None,
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
            received: received.clone(),
        };
        std::thread::spawn(move || {
            let mut builder = SessionBuilder::new("smtp.test");
            builder
                .enable_auth(AuthMechanism::Plain)
                .enable_auth(AuthMechanism::Login)
                .insecure_enable_plaintext_auth();
            for stream in listener.incoming().flatten() {
                let builder = builder.clone();
                let session = session.clone();
                std::thread::spawn(move || converse(&builder, session, stream));
            }
        });
        Self { port, received }
    }

    /// The messages accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits (up to ten seconds) until `count` messages have arrived, and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One SMTP conversation, line by line.
fn converse(builder: &SessionBuilder, handler: Session, stream: TcpStream) {
    let ip = stream
        .peer_addr()
        .map_or(IpAddr::from([127, 0, 0, 1]), |address| address.ip());
    let mut session = builder.build(ip, handler);
    // Each answer is one small write: without this, delayed ACKs add tens of milliseconds to
    // every command.
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    if session.greeting().write_to(&mut writer).is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let answer = session.process(&line);
        match answer.action {
            Action::NoReply => continue,
            Action::Reply => {
                if answer.write_to(&mut writer).is_err() {
                    return;
                }
            }
            Action::Close | Action::UpgradeTls => {
                let _ = answer.write_to(&mut writer);
                let _ = writer.flush();
                return;
            }
        }
    }
}

/// A header's value, unfolded, with RFC 2047 `=?utf-8?b?…?=` words decoded.
pub fn header(message: &str, name: &str) -> Option<String> {
    let (head, _) = message.split_once("\r\n\r\n")?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let prefix = format!("{}:", name.to_lowercase());
    let value = unfolded
        .split("\r\n")
        .find(|line| line.to_lowercase().starts_with(&prefix))?[prefix.len()..]
        .trim()
        .to_owned();
    let mut decoded = Vec::new();
    let mut previous_encoded = false;
    for (index, word) in value.split(' ').enumerate() {
        let lower = word.to_lowercase();
        let encoded = lower.starts_with("=?utf-8?b?") && lower.ends_with("?=");
        // The space between two encoded words is folding, not text.
        if index > 0 && !(encoded && previous_encoded) {
            decoded.push(b' ');
        }
        if encoded {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&word["=?utf-8?b?".len()..word.len() - 2])
                .expect("base64 encoded word");
            decoded.extend(bytes);
        } else {
            decoded.extend(word.as_bytes());
        }
        previous_encoded = encoded;
    }
    Some(String::from_utf8(decoded).expect("UTF-8 header"))
}

/// The text/plain body, base64-decoded.
pub fn body(message: &str) -> String {
    let (_, body) = message.split_once("\r\n\r\n").expect("a body");
    let encoded: String = body.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim_end_matches('.'))
        .expect("a base64 body");
    String::from_utf8(bytes).expect("a UTF-8 body")
}
