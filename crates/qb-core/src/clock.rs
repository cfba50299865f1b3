//! A bounded, thread-safe CLOCK cache: the one eviction mechanism behind qb-core's
//! [`ShapeCache`](crate::ShapeCache) and qb-graphql's document cache.
//!
//! Entries are found by a 64-bit hash and then checked by the caller's full comparison of
//! the key (a collision is a miss, never a wrong hit). A hit marks its entry referenced; an
//! insert into a full cache replaces the first entry the hand finds unreferenced, clearing
//! the marks it passes. Two entries never share a hash: a newer one takes the older's place.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::schema::AHashMap;

/// At most `capacity` entries of key `K` and shared value `V`.
#[derive(Debug)]
pub struct Clock<K, V> {
    inner: RwLock<Ring<K, V>>,
    capacity: usize,
    evictions: AtomicU64,
}

#[derive(Debug)]
struct Ring<K, V> {
    /// Hash of a key -> its slot in `slots`.
    map: AHashMap<u64, usize>,
    slots: Vec<Slot<K, V>>,
    hand: usize,
    bytes: usize,
}

impl<K, V> Default for Ring<K, V> {
    fn default() -> Self {
        Ring {
            map: AHashMap::default(),
            slots: Vec::new(),
            hand: 0,
            bytes: 0,
        }
    }
}

#[derive(Debug)]
struct Slot<K, V> {
    hash: u64,
    key: K,
    value: Arc<V>,
    referenced: AtomicBool,
    bytes: usize,
}

impl<K, V> Clock<K, V> {
    /// A cache of at most `capacity` entries (`0`: [`Clock::insert`] keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Clock {
            inner: RwLock::new(Ring::default()),
            capacity,
            evictions: AtomicU64::new(0),
        }
    }

    /// The capacity it was made with.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The value of the entry of `hash` whose key `is_key` accepts, marked referenced.
    pub fn get(&self, hash: u64, is_key: impl FnOnce(&K) -> bool) -> Option<Arc<V>> {
        let r = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let s = &r.slots[*r.map.get(&hash)?];
        if !is_key(&s.key) {
            return None;
        }
        s.referenced.store(true, Ordering::Relaxed);
        Some(Arc::clone(&s.value))
    }

    /// Keeps `value` under `key`; `heap_bytes` is what the key and value hold beyond their
    /// own size (counted, with the slot and its index entry, in [`Clock::len_and_bytes`]).
    pub fn insert(&self, hash: u64, key: K, value: Arc<V>, heap_bytes: usize) {
        self.insert_or_get(hash, key, value, heap_bytes, |_| false);
    }

    /// [`Clock::insert`], unless the entry of `hash` holds a key `is_key` accepts (another
    /// thread stored the same key since this one missed): that entry stays, marked
    /// referenced, and its value is returned. Otherwise the value kept (`value`) is
    /// returned. One write lock: two threads storing one key at once keep one value.
    pub fn insert_or_get(
        &self,
        hash: u64,
        key: K,
        value: Arc<V>,
        heap_bytes: usize,
        is_key: impl FnOnce(&K) -> bool,
    ) -> Arc<V> {
        if self.capacity == 0 {
            return value;
        }
        let bytes = heap_bytes
            + std::mem::size_of::<Slot<K, V>>()
            + std::mem::size_of::<V>()
            + 2 * std::mem::size_of::<(u64, usize)>();
        let slot = Slot {
            hash,
            key,
            value: Arc::clone(&value),
            referenced: AtomicBool::new(false),
            bytes,
        };
        let mut r = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let r = &mut *r;
        if let Some(&i) = r.map.get(&hash) {
            let kept = &r.slots[i];
            if is_key(&kept.key) {
                kept.referenced.store(true, Ordering::Relaxed);
                return Arc::clone(&kept.value);
            }
            // The same key stored by another thread (for `insert`), or another key of the
            // same hash: the newer one takes the place.
            r.bytes = r.bytes - r.slots[i].bytes + slot.bytes;
            r.slots[i] = slot;
            return value;
        }
        r.bytes += slot.bytes;
        if r.slots.len() < self.capacity {
            r.map.insert(hash, r.slots.len());
            r.slots.push(slot);
            return value;
        }
        // CLOCK: the first entry not referenced since the hand last passed it.
        loop {
            let i = r.hand;
            r.hand = (r.hand + 1) % r.slots.len();
            if r.slots[i].referenced.swap(false, Ordering::Relaxed) {
                continue;
            }
            let old = std::mem::replace(&mut r.slots[i], slot);
            r.map.remove(&old.hash);
            r.bytes -= old.bytes;
            r.map.insert(hash, i);
            self.evictions.fetch_add(1, Ordering::Relaxed);
            return value;
        }
    }

    /// How many entries it holds, and their approximate memory in bytes.
    pub fn len_and_bytes(&self) -> (usize, usize) {
        let r = self.inner.read().unwrap_or_else(|e| e.into_inner());
        (r.slots.len(), r.bytes)
    }

    /// How many entries were evicted to make room.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Drops every entry (the eviction counter is kept).
    pub fn clear(&self) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = Ring::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referenced_entry_survives_the_hand_and_collisions_are_misses() {
        let c: Clock<&str, u32> = Clock::new(2);
        c.insert(1, "a", Arc::new(1), 0);
        c.insert(2, "b", Arc::new(2), 0);
        assert_eq!(c.get(1, |k| *k == "a").as_deref(), Some(&1));
        // Same hash, another key: a miss, never the other entry's value.
        assert_eq!(c.get(1, |k| *k == "z"), None);
        // Full: the hand clears "a"'s mark and evicts "b", the unreferenced one.
        c.insert(3, "c", Arc::new(3), 0);
        assert_eq!(c.evictions(), 1);
        assert!(c.get(2, |k| *k == "b").is_none());
        assert_eq!(c.get(1, |k| *k == "a").as_deref(), Some(&1));
        assert_eq!(c.get(3, |k| *k == "c").as_deref(), Some(&3));
        assert_eq!(c.len_and_bytes().0, 2);
        c.clear();
        assert_eq!(c.len_and_bytes(), (0, 0));
        let off: Clock<&str, u32> = Clock::new(0);
        off.insert(1, "a", Arc::new(1), 0);
        assert_eq!(off.len_and_bytes().0, 0);
        assert_eq!(*off.insert_or_get(1, "a", Arc::new(7), 0, |k| *k == "a"), 7);
    }

    #[test]
    fn insert_or_get_keeps_the_entry_of_the_same_key() {
        let c: Clock<&str, u32> = Clock::new(2);
        assert_eq!(*c.insert_or_get(1, "a", Arc::new(1), 0, |k| *k == "a"), 1);
        // The same key again (a second thread's miss): the first value stays.
        assert_eq!(*c.insert_or_get(1, "a", Arc::new(2), 0, |k| *k == "a"), 1);
        assert_eq!(c.get(1, |k| *k == "a").as_deref(), Some(&1));
        // Another key of the same hash: the newer one takes the place.
        assert_eq!(*c.insert_or_get(1, "z", Arc::new(3), 0, |k| *k == "z"), 3);
        assert_eq!(c.get(1, |k| *k == "z").as_deref(), Some(&3));
        assert_eq!(c.len_and_bytes().0, 1);
        // `insert` still replaces the same key.
        c.insert(1, "z", Arc::new(4), 0);
        assert_eq!(c.get(1, |k| *k == "z").as_deref(), Some(&4));
    }
}
