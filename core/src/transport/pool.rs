//! The node pool: which nodes are alive, and which one serves the next attempt.
//!
//! A dead node waits `min(factor·2^(n−1), max)` after its n-th consecutive
//! failure and is then tried again (resurrected) — at most one per
//! selection, and forcibly when no node is alive at all.

use std::fmt;
use std::time::{Duration, Instant};

use crate::transport::node::{dead_backoff, Node, NodeId, NodeUrl, Selector};

/// The set of nodes and their health.
pub struct NodePool {
    nodes: Vec<Node>,
    next_id: u64,
    selector: Box<dyn Selector>,
    dead_factor: Duration,
    dead_max: Duration,
}

impl fmt::Debug for NodePool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodePool").field("nodes", &self.nodes).finish_non_exhaustive()
    }
}

impl NodePool {
    /// A pool of alive nodes.
    pub fn new(urls: Vec<NodeUrl>, selector: Box<dyn Selector>, dead_factor: Duration, dead_max: Duration) -> Self {
        let mut pool = NodePool { nodes: Vec::new(), next_id: 0, selector, dead_factor, dead_max };
        for url in urls {
            pool.add(url);
        }
        pool
    }

    fn add(&mut self, url: NodeUrl) -> NodeId {
        let id = NodeId::from_raw(self.next_id);
        self.next_id += 1;
        self.nodes.push(Node { id, url, failures: 0, dead_until: None, plain_media_types: false });
        id
    }

    /// Every node.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// A node by id (`None` once sniffing removed it).
    pub fn get(&self, id: NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    fn get_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.iter_mut().find(|n| n.id == id)
    }

    /// Chooses the node for the next attempt, skipping `exclude` where another
    /// node can serve. A dead node whose backoff has passed is resurrected
    /// first (one per selection); when none is alive, the one that comes back
    /// soonest is forced back.
    pub fn select(&mut self, now: Instant, random: u64, exclude: &[NodeId]) -> Option<NodeId> {
        if self.nodes.is_empty() {
            return None;
        }
        // Resurrect at most one node whose time has come: it gets this request.
        if let Some(node) = self
            .nodes
            .iter_mut()
            .filter(|n| n.dead_until.is_some_and(|t| t <= now) && !exclude.contains(&n.id))
            .min_by_key(|n| n.dead_until)
        {
            node.dead_until = None;
            return Some(node.id);
        }
        let alive: Vec<&Node> = self.nodes.iter().filter(|n| n.is_alive()).collect();
        let preferred: Vec<&Node> = alive.iter().copied().filter(|n| !exclude.contains(&n.id)).collect();
        let candidates = if preferred.is_empty() { alive } else { preferred };
        if !candidates.is_empty() {
            let i = self.selector.select(&candidates, random).min(candidates.len() - 1);
            return Some(candidates[i].id);
        }
        // Nobody is alive: force the node that would come back first.
        let node = self.nodes.iter_mut().min_by_key(|n| n.dead_until)?;
        node.dead_until = None;
        Some(node.id)
    }

    /// Records a failure: the node is dead for `min(factor·2^(n−1), max)`.
    pub fn mark_dead(&mut self, id: NodeId, now: Instant) {
        let (factor, max) = (self.dead_factor, self.dead_max);
        if let Some(node) = self.get_mut(id) {
            node.failures = node.failures.saturating_add(1);
            node.dead_until = Some(now + dead_backoff(factor, max, node.failures));
        }
    }

    /// Records a success: the node is alive and its failures forgotten.
    pub fn mark_alive(&mut self, id: NodeId) {
        if let Some(node) = self.get_mut(id) {
            node.failures = 0;
            node.dead_until = None;
        }
    }

    /// Remembers that the node wants plain media types.
    pub fn set_plain_media_types(&mut self, id: NodeId) {
        if let Some(node) = self.get_mut(id) {
            node.plain_media_types = true;
        }
    }

    /// Replaces the node set with a sniffed one; nodes already known keep
    /// their id and health.
    pub fn replace(&mut self, urls: Vec<NodeUrl>) {
        if urls.is_empty() {
            return;
        }
        let mut kept: Vec<Node> = Vec::with_capacity(urls.len());
        for url in urls {
            if kept.iter().any(|n| n.url == url) {
                continue;
            }
            match self.nodes.iter().position(|n| n.url == url) {
                Some(i) => kept.push(self.nodes.swap_remove(i)),
                None => {
                    let id = NodeId::from_raw(self.next_id);
                    self.next_id += 1;
                    kept.push(Node { id, url, failures: 0, dead_until: None, plain_media_types: false });
                }
            }
        }
        self.nodes = kept;
    }
}
