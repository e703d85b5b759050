//! The architecture and cargo profile assets are built for.

use serde::{Deserialize, Serialize};

/// Architecture of the Lambda functions and the producer instance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, clap::ValueEnum,
)]
pub enum Arch {
    #[serde(rename = "arm64")]
    #[value(name = "arm64")]
    Arm64,
    #[serde(rename = "x86_64")]
    #[value(name = "x86_64")]
    X86_64,
}

impl Arch {
    /// Name as Lambda spells it (`arm64`, `x86_64`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }

    /// Rust target triple for Amazon Linux 2023 (glibc).
    pub fn triple(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
        }
    }

    /// Cross linker binary (Debian's cross gcc).
    pub fn cross_gcc(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-linux-gnu-gcc",
            Arch::X86_64 => "x86_64-linux-gnu-gcc",
        }
    }

    /// Debian package of the cross linker.
    pub fn cross_gcc_package(self) -> &'static str {
        match self {
            Arch::Arm64 => "gcc-aarch64-linux-gnu",
            Arch::X86_64 => "gcc-x86-64-linux-gnu",
        }
    }
}

/// Cargo profile the assets are built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CargoProfile {
    /// Optimised binaries: what gets deployed.
    Release,
    /// Unoptimised, reusing the test build, zips stored uncompressed: for local testing only.
    Dev,
}

impl CargoProfile {
    pub fn name(self) -> &'static str {
        match self {
            CargoProfile::Release => "release",
            CargoProfile::Dev => "dev",
        }
    }
}
