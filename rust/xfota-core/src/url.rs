//! `<file_url>` validation and the split into what the NCS downloader wants.
//!
//! `fota_download_start_with_image_type(host, file, ...)` takes the server as
//! `scheme://host[:port]` and the file as the path after the first `/`, both NUL-terminated, and
//! keeps both pointers for the whole download (resume included). [`DownloadTarget`] is that
//! storage: it lives inside the core's state until the session ends.

use crate::ImageType;

/// Longest accepted `<file_url>`, in bytes.
pub const URL_MAX_LEN: usize = 255;
/// Storage for `host\0file\0`: the `/` between them is dropped, two NULs are added.
pub const TARGET_CAP: usize = URL_MAX_LEN + 1;

/// URL scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `http://` (any case).
    Http,
    /// `https://` (any case): needs a `<sec_tag>`.
    Https,
}

impl Scheme {
    fn prefix(self) -> &'static str {
        match self {
            Scheme::Http => "http://",
            Scheme::Https => "https://",
        }
    }
}

/// Why a `<file_url>` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// Empty, or longer than [`URL_MAX_LEN`].
    Length,
    /// A byte outside printable ASCII, or a space.
    Charset,
    /// Scheme other than http/https, or no `://`.
    Scheme,
    /// Userinfo (`user@host`) is refused: the downloader has no use for it and it would put
    /// credentials into logs.
    Userinfo,
    /// Empty host, or a character not allowed in a host name / IP literal.
    Host,
    /// Port empty, not decimal, 0 or above 65535.
    Port,
    /// No `/path` after the host, or an empty one.
    Path,
}

/// A validated `<file_url>`, borrowed from the AT line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// `host[:port]` as written.
    pub authority: &'a str,
    /// Everything after the `/` that ends the authority (never empty).
    pub path: &'a str,
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn valid_port(port: &str) -> bool {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    matches!(port.parse::<u32>(), Ok(1..=65535))
}

fn valid_authority(authority: &str) -> Result<(), UrlError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // IPv6 literal: [hex:hex...]
        let (lit, after) = rest.split_once(']').ok_or(UrlError::Host)?;
        if lit.is_empty()
            || !lit
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(UrlError::Host);
        }
        match after {
            "" => (lit, None),
            _ => (lit, Some(after.strip_prefix(':').ok_or(UrlError::Host)?)),
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| crate::class::is(b, crate::class::HOST))
        {
            // Say why when it is userinfo (`user[:pass]@host`).
            return Err(if authority.contains('@') {
                UrlError::Userinfo
            } else {
                UrlError::Host
            });
        }
        (host, port)
    };
    match port {
        _ if host.is_empty() => Err(UrlError::Host),
        Some(p) if !valid_port(p) => Err(if p.contains('@') {
            UrlError::Userinfo
        } else {
            UrlError::Port
        }),
        _ => Ok(()),
    }
}

impl<'a> Url<'a> {
    /// Validates `raw` (the bytes between the quotes) as an http/https URL.
    pub fn parse(raw: &'a [u8]) -> Result<Self, UrlError> {
        if !raw.iter().all(|&b| printable(b)) {
            return Err(UrlError::Charset);
        }
        Self::parse_printable(raw)
    }

    /// [`Url::parse`] for bytes already known to be printable ASCII without space or `"` (the
    /// AT parser checks that while it looks for the closing quote), so the path needs no
    /// second pass.
    pub fn parse_printable(raw: &'a [u8]) -> Result<Self, UrlError> {
        if raw.is_empty() || raw.len() > URL_MAX_LEN {
            return Err(UrlError::Length);
        }
        let s = core::str::from_utf8(raw).map_err(|_| UrlError::Charset)?;
        let (scheme, rest) = if let Some(r) = strip_prefix_ignore_case(s, "https://") {
            (Scheme::Https, r)
        } else if let Some(r) = strip_prefix_ignore_case(s, "http://") {
            (Scheme::Http, r)
        } else {
            return Err(UrlError::Scheme);
        };
        let (authority, path) = rest.split_once('/').ok_or(UrlError::Path)?;
        valid_authority(authority)?;
        if path.is_empty() {
            return Err(UrlError::Path);
        }
        Ok(Self {
            scheme,
            authority,
            path,
        })
    }
}

/// Printable ASCII without space and double quote.
fn printable(b: u8) -> bool {
    crate::class::is(b, crate::class::URL)
}

/// NUL-terminated host (`scheme://host[:port]`, scheme in lower case) and file (path without its
/// leading `/`), stored for the lifetime of a download session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadTarget {
    buf: [u8; TARGET_CAP],
    host_len: u16,
    file_len: u16,
}

impl Default for DownloadTarget {
    fn default() -> Self {
        Self {
            buf: [0; TARGET_CAP],
            host_len: 0,
            file_len: 0,
        }
    }
}

impl DownloadTarget {
    /// A target holding `url`. `None` only if it cannot fit, which a URL accepted by
    /// [`Url::parse`] never does.
    pub fn new(url: &Url<'_>) -> Option<Self> {
        let mut t = Self::default();
        t.set(url).then_some(t)
    }

    /// Overwrites the target in place with `url` (no temporary copy of the buffer). Returns
    /// `false`, leaving the target empty, if it cannot fit.
    pub fn set(&mut self, url: &Url<'_>) -> bool {
        let prefix = url.scheme.prefix().as_bytes();
        let host_len = prefix.len() + url.authority.len();
        let file_start = host_len + 1;
        let file_end = file_start + url.path.len();
        let fits = file_end < TARGET_CAP;
        let (Ok(hl), Ok(fl), true) = (u16::try_from(host_len), u16::try_from(url.path.len()), fits)
        else {
            self.host_len = 0;
            self.file_len = 0;
            return false;
        };
        let parts: [(usize, &[u8]); 5] = [
            (0, prefix),
            (prefix.len(), url.authority.as_bytes()),
            (host_len, b"\0"),
            (file_start, url.path.as_bytes()),
            (file_end, b"\0"),
        ];
        for (at, bytes) in parts {
            if let Some(dst) = self.buf.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
        self.host_len = hl;
        self.file_len = fl;
        true
    }

    fn file_start(&self) -> usize {
        usize::from(self.host_len) + 1
    }

    /// Host including its terminating NUL.
    pub fn host_with_nul(&self) -> &[u8] {
        self.buf.get(..=usize::from(self.host_len)).unwrap_or(&[])
    }

    /// File including its terminating NUL.
    pub fn file_with_nul(&self) -> &[u8] {
        let start = self.file_start();
        self.buf
            .get(start..=start + usize::from(self.file_len))
            .unwrap_or(&[])
    }

    /// Host without the NUL.
    pub fn host(&self) -> &str {
        let b = self.buf.get(..usize::from(self.host_len)).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
    }

    /// File without the NUL.
    pub fn file(&self) -> &str {
        let start = self.file_start();
        let b = self
            .buf
            .get(start..start + usize::from(self.file_len))
            .unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
    }
}

/// What the core asks the port to download.
#[derive(Clone, Copy, Debug)]
pub struct DownloadRequest<'a> {
    /// Expected image type (the downloader rejects the other kind with a type mismatch).
    pub image: ImageType,
    /// Session number; the shell tags this session's download events with it.
    pub session: u16,
    /// Host and file; they stay valid until the session ends.
    pub target: &'a DownloadTarget,
    /// Security tag for https; `None` for http.
    pub sec_tag: Option<u32>,
    /// Alternative APN (validated: `[A-Za-z0-9.-]`, dot-separated labels).
    pub apn: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_port_and_lowercases_scheme() {
        let u = Url::parse(b"HTTPS://Example.com:8443/fw/app.bin?x=1").map_err(|_| ());
        let t = u.ok().and_then(|u| DownloadTarget::new(&u));
        let t = t.as_ref();
        assert_eq!(t.map(|t| t.host()), Some("https://Example.com:8443"));
        assert_eq!(t.map(|t| t.file()), Some("fw/app.bin?x=1"));
        assert_eq!(
            t.map(|t| t.host_with_nul()),
            Some(&b"https://Example.com:8443\0"[..])
        );
        assert_eq!(t.map(|t| t.file_with_nul()), Some(&b"fw/app.bin?x=1\0"[..]));
    }

    #[test]
    fn longest_url_fits() {
        let mut raw = [b'a'; URL_MAX_LEN];
        raw[..9].copy_from_slice(b"http://h/");
        let u = Url::parse(&raw);
        assert!(u.is_ok());
        let t = u.ok().and_then(|u| DownloadTarget::new(&u));
        assert_eq!(t.map(|t| t.file().len()), Some(URL_MAX_LEN - 9));
    }

    #[test]
    fn rejects() {
        let cases: &[(&[u8], UrlError)] = &[
            (b"", UrlError::Length),
            (b"ftp://h/x", UrlError::Scheme),
            (b"http:/h/x", UrlError::Scheme),
            (b"http:///x", UrlError::Host),
            (b"http://h:0/x", UrlError::Port),
            (b"http://h:65536/x", UrlError::Port),
            (b"http://h:/x", UrlError::Port),
            (b"http://u:p@h/x", UrlError::Userinfo),
            (b"http://h", UrlError::Path),
            (b"http://h/", UrlError::Path),
            (b"http://h x/y", UrlError::Charset),
            (b"http://h/a\x7fb", UrlError::Charset),
            (b"http://h/\xc3\xa9", UrlError::Charset),
            (b"http://[zz]/y", UrlError::Host),
            (b"http://[::1]x/y", UrlError::Host),
        ];
        for (raw, err) in cases {
            assert_eq!(
                Url::parse(raw),
                Err(*err),
                "{:?}",
                core::str::from_utf8(raw)
            );
        }
        assert!(Url::parse(b"http://[::1]:80/y").is_ok());
        assert!(Url::parse(b"http://h:65535/y").is_ok());
    }
}
