//! Names (symbols, accounts, currencies, setups) compared and numbered in
//! the loops that meet one per fill or per trade.
//!
//! `a == b` on two texts of the same length hands them to the C library's
//! `memcmp`, even when both are empty. On processors with AVX-512, glibc's
//! `memcmp` reads a short text with a masked load, and a masked load from
//! the address an empty `String` holds (which points nowhere) costs the
//! processor a microcode assist: tens of nanoseconds, against about two
//! for a short name. Empty names are common (a trade without a setup, a
//! file without a currency column), so these loops compare with
//! [`same_name`], which never hands empty texts on.

use std::hash::Hasher as _;

use fnv::FnvHasher;
use hashbrown::HashTable;

/// Whether `a` and `b` are the same text, as `a == b` says, without a call
/// to `memcmp` for two empty texts (see the module documentation).
#[inline]
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a.as_bytes() == b.as_bytes())
}

/// Names numbered from 0 in the order they were first met, each kept once.
#[derive(Debug, Clone, Default)]
pub struct NameIds {
    names: Vec<String>,
    /// The id of each name, found by the name's hash.
    ids: HashTable<u32>,
}

fn hash_of(name: &str) -> u64 {
    let mut hasher = FnvHasher::default();
    hasher.write(name.as_bytes());
    hasher.finish()
}

impl NameIds {
    /// The id of `name`, numbered now if it is new. Callers number fewer
    /// than 2^32 names: fewer than the fills of a file or the trades of a
    /// journal part they hold in memory.
    pub fn id(&mut self, name: &str) -> u32 {
        let hash = hash_of(name);
        let names = &self.names;
        if let Some(&id) = self
            .ids
            .find(hash, |&id| same_name(&names[id as usize], name))
        {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        let names = &self.names;
        self.ids
            .insert_unique(hash, id, |&id| hash_of(&names[id as usize]));
        id
    }

    /// The name numbered `id`.
    ///
    /// # Panics
    /// When no name has that id, as indexing a slice does.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// The name numbered `id`, if there is one.
    pub fn get(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }

    /// How many names there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The names in the order of their ids.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The names in the order of their ids, for the caller to keep.
    pub fn into_names(self) -> Vec<String> {
        self.names
    }
}

#[cfg(test)]
// Owned texts on purpose: an empty `String` holds the dangling pointer.
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::unnecessary_to_owned,
    clippy::unnecessary_owned_empty_strings
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn same_name_is_equality() {
        let texts = ["", " ", "a", "b", "ab", "ba", "abc", "é", "e\u{301}"];
        for a in texts {
            for b in texts {
                assert_eq!(same_name(a, b), a == b, "{a:?} {b:?}");
                assert_eq!(same_name(&a.to_owned(), &String::from(b)), a == b);
            }
        }
        assert!(same_name(&String::new(), ""));
    }

    #[test]
    fn names_are_numbered_in_the_order_first_met() {
        let mut ids = NameIds::default();
        assert!(ids.is_empty());
        assert_eq!(ids.id("EURUSD"), 0);
        assert_eq!(ids.id(""), 1);
        assert_eq!(ids.id("GBPUSD"), 2);
        assert_eq!(ids.id(""), 1);
        assert_eq!(ids.id(&String::new()), 1);
        assert_eq!(ids.id("EURUSD"), 0);
        assert_eq!(ids.len(), 3);
        assert_eq!(ids.name(1), "");
        assert_eq!(ids.get(2), Some("GBPUSD"));
        assert_eq!(ids.get(3), None);
        assert_eq!(ids.names(), ["EURUSD", "", "GBPUSD"]);
        assert_eq!(ids.into_names(), ["EURUSD", "", "GBPUSD"]);
    }

    proptest! {
        #[test]
        fn ids_match_a_plain_numbering(names in proptest::collection::vec("[ab]{0,3}", 0..60)) {
            let mut ids = NameIds::default();
            let mut seen: Vec<String> = Vec::new();
            for name in &names {
                let expected = match seen.iter().position(|s| s == name) {
                    Some(i) => i,
                    None => {
                        seen.push(name.clone());
                        seen.len() - 1
                    }
                };
                prop_assert_eq!(ids.id(name) as usize, expected);
            }
            prop_assert_eq!(ids.names(), &seen[..]);
        }
    }
}
