//! Checks on a built binary before it is packaged: a 64-bit little-endian Linux
//! executable for the requested machine, needing no glibc newer than the
//! runtime has (Amazon Linux 2023, the `provided.al2023` Lambda runtime and the
//! producer's AMI, ships glibc 2.34).

use object::elf::{FileHeader64, EM_AARCH64, EM_X86_64, ET_DYN, ET_EXEC};
use object::read::elf::{ElfFile64, FileHeader};
use object::{Endianness, FileKind};

use super::arch::Arch;

/// Newest glibc symbol version the binaries may require (Amazon Linux 2023).
pub const GLIBC_FLOOR: (u32, u32) = (2, 34);

/// What a binary is, as far as packaging cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    /// `e_machine` of the ELF header (62 = x86_64, 183 = aarch64).
    pub machine: u16,
    /// Every `GLIBC_x.y` version the binary needs, as `(x, y)`, sorted.
    pub glibc: Vec<(u32, u32)>,
}

/// ELF `e_machine` of an architecture.
pub fn machine_of(arch: Arch) -> u16 {
    match arch {
        Arch::Arm64 => EM_AARCH64,
        Arch::X86_64 => EM_X86_64,
    }
}

/// Parses the header and the `.gnu.version_r` (version needs) section.
pub fn inspect(data: &[u8]) -> Result<ElfInfo, String> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => {}
        Ok(other) => return Err(format!("not a 64-bit ELF file ({other:?})")),
        Err(_) => return Err("not an ELF file".to_string()),
    }
    let file = ElfFile64::<Endianness>::parse(data).map_err(|e| format!("bad ELF: {e}"))?;
    let header: &FileHeader64<Endianness> = file.elf_header();
    let endian = file.endian();
    let e_type = header.e_type(endian);
    if e_type != ET_EXEC && e_type != ET_DYN {
        return Err(format!("ELF type {e_type} is not an executable"));
    }
    let sections = header
        .sections(endian, data)
        .map_err(|e| format!("bad ELF section table: {e}"))?;
    let mut glibc = Vec::new();
    if let Some((mut needs, link)) = sections
        .gnu_verneed(endian, data)
        .map_err(|e| format!("bad .gnu.version_r: {e}"))?
    {
        let strings = sections
            .strings(endian, data, link)
            .map_err(|e| format!("bad .gnu.version_r strings: {e}"))?;
        while let Some((_, mut aux)) = needs.next().map_err(|e| format!("bad verneed: {e}"))? {
            while let Some(entry) = aux.next().map_err(|e| format!("bad vernaux: {e}"))? {
                let name = entry
                    .name(endian, strings)
                    .map_err(|e| format!("bad version name: {e}"))?;
                if let Some(v) = parse_glibc(&String::from_utf8_lossy(name)) {
                    glibc.push(v);
                }
            }
        }
    }
    glibc.sort_unstable();
    glibc.dedup();
    Ok(ElfInfo {
        machine: header.e_machine(endian),
        glibc,
    })
}

/// `GLIBC_2.34` -> `(2, 34)`; `GLIBC_PRIVATE` and other names -> `None`.
fn parse_glibc(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("GLIBC_")?;
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    Some((major, minor))
}

/// Checks a binary for `arch` and the glibc floor; the error says what is wrong.
pub fn check(data: &[u8], arch: Arch) -> Result<ElfInfo, String> {
    let info = inspect(data)?;
    let want = machine_of(arch);
    if info.machine != want {
        return Err(format!(
            "built for ELF machine {} but --arch {} needs {want}",
            info.machine,
            arch.name()
        ));
    }
    if let Some(&(major, minor)) = info.glibc.iter().rev().find(|v| **v > GLIBC_FLOOR) {
        return Err(format!(
            "needs GLIBC_{major}.{minor}, newer than the glibc {}.{} of Amazon Linux 2023; \
             build on a system with glibc <= {}.{} or use cargo-zigbuild with \
             --target {}.{}.{}",
            GLIBC_FLOOR.0,
            GLIBC_FLOOR.1,
            GLIBC_FLOOR.0,
            GLIBC_FLOOR.1,
            arch.triple(),
            GLIBC_FLOOR.0,
            GLIBC_FLOOR.1
        ));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_glibc_version_names() {
        assert_eq!(parse_glibc("GLIBC_2.34"), Some((2, 34)));
        assert_eq!(parse_glibc("GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(parse_glibc("GLIBC_2"), Some((2, 0)));
        assert_eq!(parse_glibc("GLIBC_PRIVATE"), None);
        assert_eq!(parse_glibc("GCC_3.0"), None);
    }

    #[test]
    fn rejects_non_elf() {
        assert!(inspect(b"#!/bin/sh\necho hi\n").is_err());
    }

    #[test]
    fn the_running_test_binary_is_a_host_executable() {
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let info = inspect(&data).unwrap();
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!(info.machine, 62);
            assert!(check(&data, Arch::Arm64).unwrap_err().contains("183"));
        }
        if cfg!(target_env = "gnu") {
            assert!(
                !info.glibc.is_empty(),
                "a glibc binary needs GLIBC_ versions"
            );
        }
    }
}
