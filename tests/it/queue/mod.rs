//! The queue between webhook and consumer: RabbitMQ, the message schemas of both back ends,
//! and dead letters.

mod dead_letters;
mod rabbitmq;
mod schema;
