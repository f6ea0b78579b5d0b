//! Work split over the machine's cores, with rayon. A large import reads its
//! file and books its trades in parts that run side by side; the parts are
//! consecutive pieces of the work, and their results are put back together in
//! order, so that the outcome is the same as that of a single part.

/// The most parts a text is cut into.
const MAX_PARTS: usize = 16;

/// How many parts each thread of the pool is given at most: parts of the
/// same size seldom take the same time (other work shares the cores), and
/// the thread done first takes the next part instead of waiting.
const PARTS_PER_THREAD: usize = 4;

/// The least work (fills) worth a part of its own: below it, handing work
/// to another thread costs more than it saves.
#[cfg(not(test))]
const MIN_PART: usize = 20_000;
/// Tests split even small work, so that they exercise the parts.
#[cfg(test)]
const MIN_PART: usize = 2;

/// The least text (in bytes / 64) worth a part of its own when a file is
/// read in parts: about 8,000 rows.
#[cfg(not(test))]
const MIN_TEXT_PART: usize = 8_000;
/// Tests split even small files.
#[cfg(test)]
const MIN_TEXT_PART: usize = 2;

/// How many parts a text of `size` bytes / 64 is read in: a few for each
/// thread of rayon's pool (up to [`MAX_PARTS`]), each with at least
/// [`MIN_TEXT_PART`].
pub(crate) fn parts_for(size: usize) -> usize {
    (rayon::current_num_threads() * PARTS_PER_THREAD)
        .min(MAX_PARTS)
        .min(size / MIN_TEXT_PART)
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
        assert_eq!(parts_for(MIN_TEXT_PART - 1), 1);
        assert!(parts_for(usize::MAX) <= MAX_PARTS);
        assert!(!worth_splitting(MIN_PART));
    }
}
