//! Work split over the machine's cores. A large import reads its file and
//! books its trades in parts that run side by side; the parts are
//! consecutive pieces of the work, and their results are put back together in
//! order, so that the outcome is the same as that of a single part.

/// The most parts work is split into.
const MAX_PARTS: usize = 8;

/// The least work (fills, or bytes of text / 64) worth a part of its own:
/// below it, starting a thread costs more than it saves.
#[cfg(not(test))]
const MIN_PART: usize = 20_000;
/// Tests split even small work, so that they exercise the parts.
#[cfg(test)]
const MIN_PART: usize = 2;

/// How many parts work of `size` units is split into: one per core (up to
/// [`MAX_PARTS`]), each with at least [`MIN_PART`] units.
pub(crate) fn parts_for(size: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(MAX_PARTS).min(size / MIN_PART).max(1)
}

/// Splits `items` into up to `parts` consecutive slices of about equal
/// `weight`; never an empty slice, unless `items` is empty (then one).
pub(crate) fn split<T>(items: &[T], weight: impl Fn(&T) -> usize, parts: usize) -> Vec<&[T]> {
    let total: usize = items.iter().map(&weight).sum();
    let parts = parts.max(1);
    let mut out = Vec::with_capacity(parts);
    let (mut start, mut done) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        done += weight(item);
        if out.len() + 1 < parts && done * parts >= total * (out.len() + 1) {
            out.push(&items[start..=i]);
            start = i + 1;
        }
    }
    if start < items.len() || out.is_empty() {
        out.push(&items[start..]);
    }
    out
}

/// `f` of each part, in order: the first part on this thread, each other
/// one on a thread of its own. A panic in any part is this one's.
pub(crate) fn map<P: Sync, R: Send>(parts: &[P], f: impl Fn(&P) -> R + Sync) -> Vec<R> {
    let [first, rest @ ..] = parts else {
        return Vec::new();
    };
    if rest.is_empty() {
        return vec![f(first)];
    }
    std::thread::scope(|scope| {
        let f = &f;
        let others: Vec<_> = rest
            .iter()
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        let mut results = Vec::with_capacity(parts.len());
        results.push(f(first));
        for other in others {
            results.push(match other.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            });
        }
        results
    })
}

/// `a()` and `b()` side by side: `a` on this thread, `b` on another.
pub(crate) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    std::thread::scope(|scope| {
        let other = scope.spawn(b);
        let a = a();
        match other.join() {
            Ok(b) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_consecutive_and_cover_everything() {
        let items: Vec<usize> = (1..=10).collect();
        for parts in 1..=12 {
            let split = split(&items, |&w| w, parts);
            assert!(split.len() <= parts.max(1));
            assert!(split.iter().all(|p| !p.is_empty()));
            assert_eq!(split.concat(), items);
        }
        assert_eq!(split(&[] as &[usize], |&w| w, 3), vec![&[] as &[usize]]);
        let halves = split(&[1usize; 8], |&w| w, 2);
        assert_eq!(halves.iter().map(|p| p.len()).collect::<Vec<_>>(), [4, 4]);
    }

    #[test]
    fn results_come_in_the_order_of_the_parts() {
        let parts: Vec<u64> = (0..5).collect();
        assert_eq!(map(&parts, |&p| p * 10), [0, 10, 20, 30, 40]);
        assert_eq!(map(&[] as &[u64], |&p| p), Vec::<u64>::new());
    }
}
