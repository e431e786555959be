/// "Did you mean …?" for misspelt keys.
enum KeySuggestion {
    /// The candidate closest to `key` by edit distance (ignoring case and `-`/`_`), if close enough
    /// to be a plausible typo: at most 1 edit for short keys, a third of the length for longer ones.
    static func closest(to key: String, in candidates: [String]) -> String? {
        let normalized = key.lowercased().dashesAsUnderscores
        var best: (String, Int)? = nil
        for candidate in candidates {
            let d = distance(normalized, candidate.lowercased().dashesAsUnderscores)
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, d) = best else { return nil }
        return d <= max(1, min(key.count, candidate.count) / 3) ? candidate : nil
    }

    /// Edit distance counting insertions, deletions, substitutions and swaps of adjacent characters
    /// (optimal string alignment), so `prioirty` is one edit from `priority`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension String {
    var dashesAsUnderscores: String { String(map { $0 == "-" ? "_" : $0 }) }
}
