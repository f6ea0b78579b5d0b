//! Work split over the machine's cores, with rayon. A large import reads its
//! file and books its trades in parts that run side by side; the parts are
//! consecutive pieces of the work, and their results are put back together in
//! order, so that the outcome is the same as that of a single part.

/// The most parts a text is cut into.
const MAX_PARTS: usize = 8;

/// The least work (fills, or bytes of text / 64) worth a part of its own:
/// below it, handing work to another thread costs more than it saves.
#[cfg(not(test))]
const MIN_PART: usize = 20_000;
/// Tests split even small work, so that they exercise the parts.
#[cfg(test)]
const MIN_PART: usize = 2;

/// How many parts work of `size` units is split into: one per thread of
/// rayon's pool (up to [`MAX_PARTS`]), each with at least [`MIN_PART`] units.
pub(crate) fn parts_for(size: usize) -> usize {
    rayon::current_num_threads()
        .min(MAX_PARTS)
        .min(size / MIN_PART)
        .max(1)
}

/// Whether work of `size` units is worth doing side by side.
pub(crate) fn worth_splitting(size: usize) -> bool {
    size >= 2 * MIN_PART && rayon::current_num_threads() > 1
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn small_work_stays_in_one_part() {
        assert_eq!(parts_for(0), 1);
        assert_eq!(parts_for(MIN_PART - 1), 1);
        assert!(parts_for(usize::MAX) <= MAX_PARTS);
        assert!(!worth_splitting(MIN_PART));
    }
}
