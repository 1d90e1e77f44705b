extension Substring {
    /// Without leading and trailing whitespace (certificates show `MST: 0101…` and `mst :0101…`).
    var trimmingWhitespace: Substring {
        let start = firstIndex(where: { !$0.isWhitespace }) ?? endIndex
        let end = lastIndex(where: { !$0.isWhitespace }).map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
