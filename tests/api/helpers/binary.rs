//! The built `portal` binary, for what only a process shows: signals, exit codes, what it
//! prints.

use std::{
    io::{Read, Write},
    process::{Child, Command, ExitStatus, Stdio},
    time::Duration,
};

use tokio::{io::AsyncWriteExt, net::TcpStream, time::timeout};

/// How long a test waits for the binary to start, answer or exit.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `portal` on `database_url` in development, without demo data, logging at `WARN` (the
/// access log at `INFO`); add the arguments and run it.
pub fn portal(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portal"));
    command
        .env("DATABASE_URL", database_url)
        .env("PORTAL_ENV", "development")
        .env("PORTAL_DEMO_DATA", "never")
        .env("PORTAL_JWT_SECRET", super::TEST_JWT_SECRET)
        .env("RUST_LOG", "warn,portal::access=info")
        .env_remove("PORTAL_LOG_FORMAT")
        .env_remove("PORTAL_LISTEN");
    command
}

/// A SQLite database URL in `dir` (the file does not exist yet).
pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("portal.db").display()
    )
}

/// An address with a free port.
pub fn free_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    format!("127.0.0.1:{port}")
}

/// `portal serve` on `address`, its standard output and standard error captured (pipes, not
/// a terminal).
pub fn serve(mut command: Command, address: &str) -> Server {
    let mut child = command
        .arg("serve")
        .env("PORTAL_LISTEN", address)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start portal serve");
    let output = read_all(child.stdout.take().expect("the server's standard output"));
    let errors = read_all(child.stderr.take().expect("the server's standard error"));
    Server {
        child: Some(child),
        output: Some(output),
        errors: Some(errors),
        address: address.to_owned(),
    }
}

/// Reads `pipe` to its end on a thread of its own, as it comes, so that the server never
/// waits on a full pipe.
fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A running `portal serve`; killed if the test ends before it exits.
pub struct Server {
    child: Option<Child>,
    output: Option<std::thread::JoinHandle<String>>,
    errors: Option<std::thread::JoinHandle<String>>,
    pub address: String,
}

impl Server {
    /// A connection the server has taken: it answered `GET /health` on it.
    pub async fn connection(&self) -> TcpStream {
        let started = tokio::time::Instant::now();
        loop {
            if let Ok(mut stream) = TcpStream::connect(&self.address).await {
                stream
                    .write_all(b"GET /health HTTP/1.1\r\nHost: portal\r\n\r\n")
                    .await
                    .expect("send");
                if timeout(PATIENCE, read_answer(&mut stream))
                    .await
                    .expect("health")
                    .0
                    == 200
                {
                    return stream;
                }
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the server did not start in time"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends `signal` (`TERM`, `INT`) to the server.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("the server").id();
        let sent = Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} {pid}");
    }

    /// Waits for the server to exit; its status (`None` when it had to be killed) and what
    /// it printed on its standard output.
    pub async fn exit(self) -> (Option<ExitStatus>, String) {
        let (status, output, _) = self.exit_with_errors().await;
        (status, output)
    }

    /// As [`Server::exit`], with what it printed on its standard error as well.
    pub async fn exit_with_errors(mut self) -> (Option<ExitStatus>, String, String) {
        let mut child = self.child.take().expect("the server");
        let output = self.output.take().expect("the server's output");
        let errors = self.errors.take().expect("the server's errors");
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let status = loop {
                if let Some(status) = child.try_wait().expect("the server's status") {
                    break Some(status);
                }
                if started.elapsed() > PATIENCE {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            (
                status,
                output.join().expect("the output"),
                errors.join().expect("the errors"),
            )
        })
        .await
        .expect("wait for the server")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads the head of an answer from `stream`, up to and with its blank line, and nothing
/// more (an interim `100 Continue` is a head alone).
pub async fn read_head(stream: &mut TcpStream) -> String {
    use tokio::io::AsyncReadExt;

    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = stream.read_u8().await.expect("read the head");
        head.push(byte);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Reads one HTTP/1.1 answer with a `Content-Length` from `stream`: its status and body.
pub async fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    use tokio::io::AsyncReadExt;

    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("a Content-Length");
            if body.len() >= length {
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|status| status.parse().ok())
                    .expect("a status line");
                return (status, body[..length].to_owned());
            }
        }
        let read = stream.read(&mut buffer).await.expect("read the answer");
        assert!(read > 0, "the connection closed mid-answer: {text}");
        received.extend_from_slice(&buffer[..read]);
    }
}

/// What a finished command printed: its status, standard output and standard error.
pub struct Ran {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` with `stdin` as its standard input, to its end.
pub fn run(mut command: Command, stdin: &str) -> Ran {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start portal");
    child
        .stdin
        .take()
        .expect("standard input")
        .write_all(stdin.as_bytes())
        .expect("write standard input");
    let output = child.wait_with_output().expect("portal's output");
    Ran {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `portal migrate` with `action` (`up`, `status`, ...) on `database`.
pub fn migrate(database: &str, action: &[&str]) -> Ran {
    let mut command = portal(database);
    command.arg("migrate").args(action);
    run(command, "")
}

/// The password `create_admin` gives.
pub const PASSWORD: &str = "Vahdat-Rasht-Khorog-2026-admin";

/// `portal create-admin` on `database`, the password [`PASSWORD`] read from standard input.
pub fn create_admin(database: &str, email: &str) -> Ran {
    let mut command = portal(database);
    command.args(["create-admin", "--email", email]);
    run(command, &format!("{PASSWORD}\n"))
}
