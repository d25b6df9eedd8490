//! QR codes as `qrcode` draws them (`QrCode::new`: error correction M, the smallest
//! version), made about twenty times faster.
//!
//! `QrCode::new` masks a copy of the code eight times and scores each copy with iterator
//! chains per module and a boxed closure per row position; with two codes per standard
//! that was 86 % of the instructions of a site build. Here a code is rows and columns of
//! bits: each masked code is one XOR of its data with a template made once per version,
//! and the same four penalty rules (in the same arithmetic) run on whole lines at once,
//! so the same mask wins and the code is the same. A test compares both on many inputs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::types::QrError;
use qrcode::{Color, EcLevel, QrCode, Version};

/// The eight masks of a (not Micro) QR code, in the order `qrcode` tries them.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The widest code scored here (version 27, data of about 1,000 bytes and more); wider
/// ones are left to `QrCode::new`.
const MAX_WIDTH: usize = 128;

/// The QR code of `data` exactly as `QrCode::new` draws it: its width and its modules
/// row by row, `true` for dark.
pub(crate) fn modules(data: &[u8]) -> Result<(usize, Vec<bool>), QrError> {
    Ok(modules_and_mask(data)?.0)
}

/// A code as lines of bits: bit `x` of `rows[y]` and bit `y` of `columns[x]` are the
/// module at column `x`, row `y` (1 is dark).
#[derive(Clone)]
struct Lines {
    rows: Vec<u128>,
    columns: Vec<u128>,
}

impl Lines {
    fn new(width: usize, dark: impl Fn(usize, usize) -> bool) -> Lines {
        let mut lines = Lines {
            rows: vec![0; width],
            columns: vec![0; width],
        };
        for y in 0..width {
            for x in 0..width {
                if dark(x, y) {
                    lines.rows[y] |= 1 << x;
                    lines.columns[x] |= 1 << y;
                }
            }
        }
        lines
    }
}

/// [`modules`] and the index of the mask chosen (8: left to `QrCode::new`).
fn modules_and_mask(data: &[u8]) -> Result<((usize, Vec<bool>), usize), QrError> {
    let bits = qrcode::bits::encode_auto(data, EcLevel::M)?;
    let version = bits.version();
    let width = usize::try_from(version.width()).map_err(|_| QrError::InvalidVersion)?;
    if width > MAX_WIDTH {
        let code = QrCode::new(data)?;
        let dark = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
        return Ok(((code.width(), dark), MASKS.len()));
    }
    let (codewords, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M)?;
    let layout = layout(version, width);
    // Each bit of the codewords, data then error correction, most significant first,
    // goes to the next data module in placement order (`Canvas::draw_data`); bits
    // past the last module are dropped, as there.
    let mut data_dark = Lines::new(width, |_, _| false);
    let stream = codewords.iter().chain(&ec);
    let bits = stream.flat_map(|b| (0..8).rev().map(move |j| b >> j & 1 == 1));
    for (dark, (x, y)) in bits.zip(&layout.order) {
        if dark {
            let (x, y) = (usize::from(*x), usize::from(*y));
            data_dark.rows[y] |= 1 << x;
            data_dark.columns[x] |= 1 << y;
        }
    }
    let templates = &layout.masked;
    let mut masked = data_dark.clone();
    let mut best: Option<(u16, usize)> = None;
    for (n, template) in templates.iter().enumerate() {
        xor(&mut masked, template, &data_dark);
        let score = penalty(width, &masked);
        if best.is_none_or(|(lowest, _)| score < lowest) {
            best = Some((score, n));
        }
    }
    let (_, n) = best.ok_or(QrError::InvalidVersion)?;
    xor(&mut masked, &templates[n], &data_dark);
    let dark = (0..width * width)
        .map(|i| masked.rows[i / width] >> (i % width) & 1 == 1)
        .collect();
    Ok(((width, dark), n))
}

fn xor(out: &mut Lines, a: &Lines, b: &Lines) {
    for (o, (a, b)) in out.rows.iter_mut().zip(a.rows.iter().zip(&b.rows)) {
        *o = a ^ b;
    }
    for (o, (a, b)) in out.columns.iter_mut().zip(a.columns.iter().zip(&b.columns)) {
        *o = a ^ b;
    }
}

/// What every code of one version shares, made once per version and kept.
struct Layout {
    /// For each of the eight masks, what `Canvas::apply_mask` makes of a canvas holding
    /// only the functional patterns: those (with the format information of that mask),
    /// and the mask itself in the data area. `apply_mask` inverts the dark data modules
    /// and keeps the functional ones, so a code masked with mask `n` is `masked[n]`
    /// XOR its dark data modules.
    masked: Vec<Lines>,
    /// The data modules (x, y) in the order `Canvas::draw_data` fills them: the
    /// two-column zigzag from the bottom right corner, past the vertical timing
    /// pattern, skipping every module of a functional pattern.
    order: Vec<(u8, u8)>,
}

fn layout(version: Version, width: usize) -> Arc<Layout> {
    static MADE: Mutex<BTreeMap<usize, Arc<Layout>>> = Mutex::new(BTreeMap::new());
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    let made = made.entry(width).or_insert_with(|| {
        let mut blank = Canvas::new(version, EcLevel::M);
        blank.draw_all_functional_patterns();
        let masked = MASKS
            .iter()
            .map(|pattern| {
                let mut masked = blank.clone();
                masked.apply_mask(*pattern);
                let dark: Vec<bool> = masked
                    .into_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect();
                Lines::new(width, |x, y| dark[y * width + x])
            })
            .collect();
        // Below 128 both: the casts are exact.
        let order = zigzag(width)
            .filter(|(x, y)| blank.get(*x as i16, *y as i16) == Module::Empty)
            .map(|(x, y)| (x as u8, y as u8))
            .collect();
        Arc::new(Layout { masked, order })
    });
    Arc::clone(made)
}

/// Every module in the placement order of a (not Micro) QR code of `width`: pairs of
/// columns from the right, up then down in turn, the right one of a pair first; the
/// timing pattern's column 6 is stepped over. (`qrcode`'s `DataModuleIter`.)
fn zigzag(width: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut right = width - 1;
    let mut pairs = Vec::new();
    loop {
        pairs.push(right);
        if right < 2 {
            break;
        }
        right -= 2;
        if right == 6 {
            right = 5;
        }
    }
    pairs.into_iter().enumerate().flat_map(move |(n, right)| {
        let upward = n % 2 == 0;
        (0..width).flat_map(move |i| {
            let y = if upward { width - 1 - i } else { i };
            [(right, y), (right - 1, y)]
        })
    })
}

/// The lowest `n` bits set.
fn low_bits(n: usize) -> u128 {
    u128::MAX.checked_shr(128 - n as u32).unwrap_or(0)
}

/// The penalty score of a masked code of `width` modules a side, by the rules and in the
/// arithmetic of `qrcode` 0.14 (`Canvas::compute_total_penalty_scores`: sums in wrapping
/// `u16`): runs of five or more, 2×2 blocks, finder-like patterns, balance.
fn penalty(width: usize, code: &Lines) -> u16 {
    let (mut runs, mut finders) = (0usize, 0usize);
    for line in code.rows.iter().chain(&code.columns) {
        let (r, f) = line_penalty(*line, width);
        runs += r;
        finders += f;
    }
    // Rule 2: each 2×2 block of one colour scores 3. Bit x of `same_below` says module
    // x equals the one below it; of `same_right`, that it equals its right neighbour.
    let left_of_last = low_bits(width - 1);
    let mut blocks = 0usize;
    for pair in code.rows.windows(2) {
        let (top, bottom) = (pair[0], pair[1]);
        let same_below = !(top ^ bottom);
        let same_right = !(top ^ (top >> 1));
        let squares = same_below & (same_below >> 1) & same_right & left_of_last;
        blocks += 3 * squares.count_ones() as usize;
    }
    // Rule 4: the distance of the dark share from one half, in percent.
    let dark: usize = code.rows.iter().map(|r| r.count_ones() as usize).sum();
    let balance = (dark * 200 / (width * width)).abs_diff(100);
    // qrcode subtracts the 9 finder-like rows of the three real finders, per direction.
    (runs as u16)
        .wrapping_add(blocks as u16)
        .wrapping_add((finders as u16).wrapping_sub(720))
        .wrapping_add(balance as u16)
}

/// The number of bits set in `x`, one step per bit: cheaper than `count_ones` for the
/// few bits of long runs (x86-64 without POPCNT counts a `u128` in some 30 steps).
fn sparse_ones(mut x: u128) -> usize {
    let mut n = 0;
    while x != 0 {
        x &= x - 1;
        n += 1;
    }
    n
}

/// Rules 1 and 3 on one row or column (`width` bits): each run of 5 + n modules of one
/// colour scores 3 + n; each dark-light-dark×3-light-dark with no dark module among
/// the four before it, or none among the four after it (outside the code is light),
/// scores 40.
fn line_penalty(line: u128, width: usize) -> (usize, usize) {
    // Bit j of `same`: module j equals module j + 1; of `five`: modules j..j + 5 are
    // one colour. A run of 5 + n modules sets n + 1 bits of `five` in a row and scores
    // 3 + n: one per bit, and 2 more for the first bit of the row.
    let same = !(line ^ (line >> 1)) & low_bits(width - 1);
    let five = same & (same >> 1) & (same >> 2) & (same >> 3);
    let first = five & !(five << 1);
    let runs = sparse_ones(five) + 2 * sparse_ones(first);
    // Bit j of `found`: modules j..j + 7 are the pattern (it reads the same both ways).
    const PATTERN: [bool; 7] = [true, false, true, true, true, false, true];
    let mut found = low_bits(width.saturating_sub(6));
    for (k, dark) in PATTERN.iter().enumerate() {
        let shifted = line >> k;
        found &= if *dark { shifted } else { !shifted };
    }
    let mut finders = 0;
    while found != 0 {
        let j = found.trailing_zeros() as usize;
        found &= found - 1;
        let before = line & low_bits(j) & !low_bits(j.saturating_sub(4));
        let after = line.checked_shr((j + 7) as u32).unwrap_or(0) & 0xF;
        if before == 0 || after == 0 {
            finders += 40;
        }
    }
    (runs, finders)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The bit scoring must pick the mask `QrCode::new` picks, for every input: the
    /// site's own kinds of data (page addresses, pre-filled emails, of many lengths) and
    /// arbitrary bytes. Across them every one of the eight masks wins somewhere, so each
    /// rule's weight matters to the outcome; six of them are ties of two masks (found
    /// by search), where the first must win. One input is too long to be scored here.
    #[test]
    fn modules_are_those_of_qrcode() {
        let mut inputs: Vec<Vec<u8>> = [15, 147, 174, 252, 301, 329]
            .iter()
            .map(|i| format!("https://x.example/layanan/g{i}/").into_bytes())
            .collect();
        for i in 0..60 {
            let slug = "layanan-".repeat(1 + i % 7);
            inputs.push(
                format!("https://layanan.kppn-{i}.example/layanan/{slug}{i:05}/").into_bytes(),
            );
            inputs.push(
                format!("mailto:layanan@kppn-{i}.example?subject=%5BG{i:05}%5D%20{slug}")
                    .into_bytes(),
            );
        }
        // A small linear congruential generator: the same bytes on every run.
        let mut seed: u32 = 7;
        for len in (1..160).step_by(3).chain([400, 900, 1500]) {
            inputs.push(
                (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        (seed >> 16) as u8
                    })
                    .collect(),
            );
        }
        let mut masks = std::collections::BTreeSet::new();
        for data in &inputs {
            let ((width, dark), mask) = modules_and_mask(data).unwrap();
            let theirs = QrCode::new(data).unwrap();
            let shown = String::from_utf8_lossy(data);
            assert_eq!(width, theirs.width(), "{shown}");
            let theirs: Vec<bool> = theirs
                .to_colors()
                .iter()
                .map(|c| *c == Color::Dark)
                .collect();
            assert!(dark == theirs, "another QR code than qrcode's for {shown}");
            masks.insert(mask);
        }
        assert_eq!(masks, (0..=8).collect(), "masks chosen (8: qrcode's own)");
    }
}
