use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProducerError {
    #[error("cannot read the replay source `{source_name}`: {message}")]
    Replay {
        source_name: String,
        message: String,
    },
    #[error("--speedup must be a positive number, got {0}")]
    Speedup(f64),
    #[error("--rate must be at least 1 record per second")]
    Rate,
    #[error("cannot write `{target}`: {message}")]
    Output { target: String, message: String },
}

impl ProducerError {
    /// Bad arguments exit 2, everything else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            ProducerError::Speedup(_) | ProducerError::Rate => 2,
            ProducerError::Replay { .. } | ProducerError::Output { .. } => 1,
        }
    }
}
