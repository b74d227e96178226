// A binary heap over an array, shared by BPE encoding (lowest merge rank first) and training
// (highest pair count first). Elements say which of two comes out first.

protocol HeapOrdered {
    /// True when `a` must leave the heap before `b`.
    static func isAbove(_ a: Self, _ b: Self) -> Bool
}

struct BinaryHeap<Element: HeapOrdered> {
    private var items: [Element] = []

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ element: Element) {
        items.append(element)
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard Element.isAbove(items[c], items[p]) else { break }
            items.swapAt(c, p)
            c = p
        }
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count && Element.isAbove(items[l], items[m]) { m = l }
                if r < items.count && Element.isAbove(items[r], items[m]) { m = r }
                if m == p { break }
                items.swapAt(p, m)
                p = m
            }
        }
        return top
    }
}
