//! A Unix-socket relay in front of a DC's ldapi socket that can hold the
//! client's requests: the test stops the DC while a request is held, so
//! the DC goes away in the middle of a sync cycle at a chosen point.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Default)]
struct State {
    requests: u64,
    hold_at: Option<u64>,
    held: bool,
    released: bool,
}

pub struct Gate {
    pub path: PathBuf,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Gate {
    /// Listens on `path`, relaying every connection to `upstream`; the
    /// `hold_at`-th client write (counting from 1) and all after it wait
    /// for [`Gate::release`].
    pub fn new(path: PathBuf, upstream: PathBuf, hold_at: Option<u64>) -> Self {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("gate socket");
        let state = Arc::new((
            Mutex::new(State {
                hold_at,
                ..State::default()
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = UnixStream::connect(&upstream) else {
                    continue;
                };
                relay(client, server, Arc::clone(&shared));
            }
        });
        Self { path, state }
    }

    /// Client writes relayed so far.
    pub fn requests(&self) -> u64 {
        self.state.0.lock().unwrap().requests
    }

    /// Waits until a request is held.
    pub fn wait_until_held(&self, timeout: Duration) -> bool {
        let (lock, condvar) = &*self.state;
        let guard = lock.lock().unwrap();
        let (guard, _) = condvar
            .wait_timeout_while(guard, timeout, |s| !s.held)
            .unwrap();
        guard.held
    }

    /// Lets held requests through (to whatever is left upstream).
    pub fn release(&self) {
        let (lock, condvar) = &*self.state;
        lock.lock().unwrap().released = true;
        condvar.notify_all();
    }
}

fn relay(client: UnixStream, server: UnixStream, state: Arc<(Mutex<State>, Condvar)>) {
    let (mut client_in, mut server_out) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_in.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            {
                let (lock, condvar) = &*state;
                let mut s = lock.lock().unwrap();
                s.requests += 1;
                if s.hold_at.is_some_and(|at| s.requests >= at) {
                    s.held = true;
                    condvar.notify_all();
                    while !s.released {
                        s = condvar.wait(s).unwrap();
                    }
                }
            }
            if server_out.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = server_out.shutdown(Shutdown::Write);
    });
    let (mut server_in, mut client_out) = (server, client);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_in, &mut client_out);
        let _ = client_out.shutdown(Shutdown::Both);
    });
}
