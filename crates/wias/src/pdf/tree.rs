//! The page tree as a right-edge B-tree: every node holds at most [`FANOUT`] kids, and
//! only the nodes on the path from the root to the newest page ever change.
//!
//! Adding page N rewrites that path (its `/Kids` and `/Count` change), so a page costs
//! O(FANOUT × depth) = O(log N) bytes of page-tree objects, never O(N): 32 kids a node
//! gives depth 2 up to 1024 pages and 4 up to a million. When the last leaf is full, a
//! new leaf (and new ancestors, as deep as the tree) starts beside it; when the root is
//! full, a new root goes above it, and the old root is written once more with its new
//! `/Parent`.
//!
//! Nodes of another producer's tree are used as they are: one that carries anything
//! besides `/Type`, `/Kids`, `/Count` and `/Parent` (inheritable `/MediaBox`,
//! `/Resources`, `/Rotate`, ...) or already has [`FANOUT`] kids takes no new kids, so
//! our pages never inherit attributes meant for its pages; its other entries are
//! copied byte for byte when its `/Parent` must change.

use super::reader::ObjRef;

/// Most kids a node we add to may have.
pub(crate) const FANOUT: usize = 32;

/// A `/Pages` node on the right edge.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub id: ObjRef,
    pub kids: Vec<ObjRef>,
    pub count: u64,
    pub parent: Option<ObjRef>,
    /// Entries of another producer's node besides Type, Kids, Count and Parent, as
    /// their bytes; `Some` makes the node take no new kids.
    pub foreign: Option<Vec<u8>>,
}

impl Node {
    fn new(id: ObjRef, parent: Option<ObjRef>) -> Node {
        Node {
            id,
            kids: Vec::new(),
            count: 0,
            parent,
            foreign: None,
        }
    }

    fn has_room(&self) -> bool {
        self.foreign.is_none() && self.kids.len() < FANOUT
    }
}

/// The path from the root (first) to the node that holds the newest page (last).
#[derive(Clone, Debug, Default)]
pub(crate) struct PageTree {
    pub path: Vec<Node>,
}

impl PageTree {
    /// The root node, once there is one.
    pub fn root(&self) -> Option<ObjRef> {
        self.path.first().map(|n| n.id)
    }

    /// Pages in the tree.
    pub fn count(&self) -> u64 {
        self.path.first().map_or(0, |n| n.count)
    }

    /// Adds `page` as the last page; `alloc` gives numbers for new nodes. Returns the
    /// page's parent and every node whose object must be (re)written: the new path,
    /// and an old root that got a parent.
    pub fn add(&mut self, page: ObjRef, mut alloc: impl FnMut() -> ObjRef) -> (ObjRef, Vec<Node>) {
        let mut moved = Vec::new();
        if self.path.is_empty() {
            self.path.push(Node::new(alloc(), None));
        }
        let leaf = self.path.len() - 1;
        if !self.path[leaf].has_room() {
            // The deepest ancestor with room keeps the tree as deep as it is; with none,
            // a new root goes above and the tree grows one level.
            let target = match (0..leaf).rev().find(|&j| self.path[j].has_room()) {
                Some(j) => {
                    self.path.truncate(j + 1);
                    leaf + 1
                }
                None => {
                    let id = alloc();
                    let mut old = self.path.swap_remove(0);
                    old.parent = Some(id);
                    let mut root = Node::new(id, None);
                    root.kids.push(old.id);
                    root.count = old.count;
                    moved.push(old);
                    self.path.clear();
                    self.path.push(root);
                    leaf + 2
                }
            };
            while self.path.len() < target {
                let parent = self.path.last_mut().expect("a root");
                let node = Node::new(alloc(), Some(parent.id));
                parent.kids.push(node.id);
                self.path.push(node);
            }
        }
        let last = self.path.last_mut().expect("a leaf");
        last.kids.push(page);
        let parent = last.id;
        for n in &mut self.path {
            n.count += 1;
        }
        moved.extend(self.path.iter().cloned());
        (parent, moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_rewrites_a_path_of_bounded_nodes() {
        let mut tree = PageTree::default();
        let mut next = 1u32;
        let mut alloc = || {
            next += 1;
            ObjRef { num: next, gen: 0 }
        };
        let mut parents = std::collections::HashMap::new();
        for p in 0..5000u32 {
            let page = ObjRef {
                num: 1_000_000 + p,
                gen: 0,
            };
            let (parent, written) = tree.add(page, &mut alloc);
            parents.insert(page, parent);
            assert!(written.iter().all(|n| n.kids.len() <= FANOUT));
            // depth 3 covers 32768 pages; one extra node when the root moves.
            assert!(written.len() <= 4, "page {p}: {} nodes", written.len());
            assert_eq!(tree.count(), u64::from(p) + 1);
        }
        assert_eq!(tree.path.len(), 3);
        assert_eq!(tree.path[2].kids.last().unwrap().num, 1_000_000 + 4999);
    }
}
