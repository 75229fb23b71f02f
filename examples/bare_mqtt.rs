//! The MQTT ceiling for `bench/mqtt.sh`, and its publisher.
//!
//!     cargo run --release --example bare_mqtt -- publish PORT TOPIC RECORDS PER_MESSAGE
//!     cargo run --release --example bare_mqtt -- count PORT TOPIC MESSAGES
//!
//! `publish` sends RECORDS generated metrics as JSON arrays of PER_MESSAGE records, QoS 1,
//! and returns once the broker acknowledged every one. `count` subscribes QoS 1 (the client
//! library acknowledging on receipt) and only counts messages until MESSAGES came, then
//! prints `RESULT messages=… seconds=… messages_per_s=…` — a subscriber that does nothing
//! with what it gets, the most any subscriber can take from this broker.

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use std::time::{Duration, Instant};

fn options(id: &str, port: u16) -> MqttOptions {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(16 << 20, 16 << 20)
        .set_inflight(100);
    options
}

async fn publish(port: u16, topic: &str, records: usize, per: usize) {
    let (client, mut events) = AsyncClient::new(options("bench-publisher", port), 1024);
    let bodies: Vec<Vec<u8>> = (0..records)
        .collect::<Vec<_>>()
        .chunks(per)
        .map(|chunk| {
            let records: Vec<serde_json::Value> = chunk
                .iter()
                .map(|&i| {
                    serde_json::json!({"id": i % 50, "val": i as f64 * 0.001 + 0.1, "time": 1_600_000_000 + i})
                })
                .collect();
            serde_json::to_vec(&records).unwrap()
        })
        .collect();
    let total = bodies.len();
    let topic = topic.to_string();
    tokio::spawn(async move {
        for body in bodies {
            client
                .publish(topic.as_str(), QoS::AtLeastOnce, false, body)
                .await
                .unwrap();
        }
    });
    let (mut acked, mut sent) = (0, 0);
    while acked < total || sent < total {
        match events.poll().await.unwrap() {
            Event::Incoming(Packet::PubAck(_)) => acked += 1,
            Event::Outgoing(Outgoing::Publish(_)) => sent += 1,
            _ => {}
        }
    }
}

async fn count(port: u16, topic: &str, messages: usize) {
    let (client, mut events) = AsyncClient::new(options("bench-counter", port), 1024);
    client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    let mut got = 0;
    let mut started = None;
    while got < messages {
        match events.poll().await.unwrap() {
            Event::Incoming(Packet::SubAck(_)) => println!("subscribed"),
            Event::Incoming(Packet::Publish(_)) => {
                started.get_or_insert_with(Instant::now);
                got += 1;
            }
            _ => {}
        }
    }
    let secs = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    println!(
        "RESULT messages={got} seconds={secs:.3} messages_per_s={:.0}",
        got as f64 / secs
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args[1].parse().unwrap();
    match args[0].as_str() {
        "publish" => {
            publish(
                port,
                &args[2],
                args[3].parse().unwrap(),
                args[4].parse().unwrap(),
            )
            .await
        }
        "count" => count(port, &args[2], args[3].parse().unwrap()).await,
        other => panic!("unknown mode {other}: publish or count"),
    }
}
