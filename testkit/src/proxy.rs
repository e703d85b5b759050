//! A fault-injecting HTTP proxy in front of the emulator.
//!
//! [`FaultProxy::start`] listens on a free loopback port, on its own thread
//! with its own tokio runtime (so sync and async tests can use it alike), and
//! forwards every request to the emulator. Point a client or the CLI at
//! [`FaultProxy::endpoint`] (e.g. `AWS_ENDPOINT_URL`) and change the faults at
//! any time with [`FaultProxy::set_faults`] or the `set_*` shortcuts; the
//! counters in [`FaultProxy::injected`] say what was really injected, so a
//! test can assert that a fault happened.
//!
//! Faults (each optionally only for requests signed for one region, read
//! from the credential scope of the `Authorization` header):
//! - [`Reject`]: PutRecords entries (every n-th, up to a budget, or every
//!   entry of one partition key) never reach the emulator and come back with
//!   `ProvisionedThroughputExceededException`, as throttling would.
//! - [`Unreachable`]: requests get their connection closed without a response.
//! - [`Throttle`]: every n-th request of any service (up to a budget) is
//!   answered with that protocol's throttling error instead of being
//!   forwarded: awsJson (`x-amz-target`) 400 `ThrottlingException`, awsQuery
//!   (CloudFormation, form body with `Action=`) 400 `Throttling`, S3 503
//!   `SlowDown`. rpc-v2-cbor requests (`smithy-protocol` header) pass through.
//! - [`FaultProxy::hold`]: the requests of one awsQuery action wait until
//!   [`FaultProxy::release`] (a call kept in flight, to interrupt a client in it).
//!
//! ```no_run
//! use streamkit_testkit::{proxy::{FaultProxy, Throttle}, Emulator};
//! let emu = Emulator::start();
//! let proxy = FaultProxy::start(emu.port());
//! proxy.set_throttle(Some(Throttle::every(3, 50)));   // every 3rd request, 50 at most
//! // run the CLI with AWS_ENDPOINT_URL=proxy.endpoint() ...
//! assert!(proxy.injected().throttled_requests > 0);
//! ```

mod faults;
mod hold;
mod http;

use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub use faults::{Faults, Injected, Reject, Throttle, Unreachable};
use faults::{State, Verdict};
use hold::Hold;

/// A running proxy; dropping it stops it.
pub struct FaultProxy {
    port: u16,
    state: Arc<State>,
    hold: Arc<Hold>,
    server: Server,
}

impl FaultProxy {
    /// Starts forwarding to `127.0.0.1:upstream_port` (the emulator), no faults.
    pub fn start(upstream_port: u16) -> FaultProxy {
        let state = Arc::new(State::default());
        let hold = Arc::new(Hold::default());
        let (shared, held) = (state.clone(), hold.clone());
        let server =
            Server::start(move |sock| serve(sock, upstream_port, shared.clone(), held.clone()));
        FaultProxy {
            port: server.port,
            state,
            hold,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Replaces every fault (n-th counts start again); counters are kept.
    pub fn set_faults(&self, faults: Faults) {
        self.state.set(faults);
    }

    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    pub fn set_reject(&self, reject: Option<Reject>) {
        self.state.update(|f| f.reject = reject);
    }

    pub fn set_unreachable(&self, unreachable: Option<Unreachable>) {
        self.state.update(|f| f.unreachable = unreachable);
    }

    pub fn set_throttle(&self, throttle: Option<Throttle>) {
        self.state.update(|f| f.throttle = throttle);
    }

    /// What was injected so far.
    pub fn injected(&self) -> Injected {
        self.state.injected()
    }

    /// Holds back every request of the awsQuery `action` (e.g.
    /// `ExecuteChangeSet`) until [`FaultProxy::release`]; [`FaultProxy::held`]
    /// counts those that arrived.
    pub fn hold(&self, action: &str) {
        self.hold.hold(action);
    }

    /// Lets the held requests (and later ones of that action) through.
    pub fn release(&self) {
        self.hold.release();
    }

    /// How many requests of the held action arrived.
    pub fn held(&self) -> usize {
        self.hold.held()
    }

    /// Stops the proxy (also done on drop).
    pub fn stop(self) {
        drop(self.server);
    }
}

async fn serve(mut sock: TcpStream, upstream: u16, state: Arc<State>, hold: Arc<Hold>) {
    let mut buf = Vec::new();
    while let Some(req) = http::read_request(&mut sock, &mut buf).await {
        hold.pass(&req).await;
        let resp = match state.verdict(&req) {
            Verdict::Drop => return,
            Verdict::Answer(resp) => resp,
            Verdict::Reject(rejected) => faults::put_records(upstream, &req, &rejected).await,
            Verdict::Forward => forward(upstream, &req).await,
        };
        if http::write_response(&mut sock, &resp).await.is_err() {
            return;
        }
    }
}

async fn forward(upstream: u16, req: &http::Request) -> http::Response {
    http::forward(upstream, req, &req.body)
        .await
        .unwrap_or_else(|e| {
            http::Response::new(502, "text/plain", format!("test proxy: emulator: {e}"))
        })
}

/// Every request a [`Capture`] received: (path, body).
type Calls = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A stand-in endpoint that records every request and answers an empty
/// rpc-v2-cbor success (for services the emulator does not speak, e.g.
/// CloudWatch's rpc-v2-cbor).
pub struct Capture {
    port: u16,
    calls: Calls,
    _server: Server,
}

impl Capture {
    pub fn start() -> Capture {
        let calls: Calls = Arc::default();
        let store = calls.clone();
        let server = Server::start(move |mut sock| {
            let store = store.clone();
            async move {
                let mut buf = Vec::new();
                while let Some(req) = http::read_request(&mut sock, &mut buf).await {
                    store
                        .lock()
                        .expect("calls")
                        .push((req.path().to_string(), req.body));
                    let mut resp = http::Response::new(200, "application/cbor", vec![0xa0]);
                    resp.headers
                        .push(("smithy-protocol".into(), "rpc-v2-cbor".into()));
                    if http::write_response(&mut sock, &resp).await.is_err() {
                        return;
                    }
                }
            }
        });
        Capture {
            port: server.port,
            calls,
            _server: server,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn calls(&self) -> Vec<(String, Vec<u8>)> {
        self.calls.lock().expect("calls").clone()
    }
}

/// A loopback listener on its own thread and runtime, one task per connection.
struct Server {
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start<F, Fut>(handle: F) -> Server
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = StdListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("testkit-proxy-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("proxy runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("tokio listener");
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => {
                                if let Ok((sock, _)) = accepted {
                                    tokio::spawn(handle(sock));
                                }
                            }
                        }
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("proxy thread");
        Server {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests;
