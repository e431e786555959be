/// Builds the JSON arrays that batched statements read with SQLite's `json_each`, so a batch of
/// 1,000 rows is one bound parameter and one statement instead of 1,000 executions.
struct BatchJSON {
    /// One value in a row.
    enum Value {
        case string(String)
        case int(Int)
        case null
    }

    private(set) var text = "["
    private var first = true

    /// Appends one row, as a JSON array of its values.
    mutating func append(_ row: [Value]) {
        text += first ? "[" : ",["
        first = false
        for (index, value) in row.enumerated() {
            if index > 0 { text += "," }
            Self.write(value, to: &text)
        }
        text += "]"
    }

    /// Appends one string (for a flat array of ids).
    mutating func append(_ string: String) {
        appendFlat(.string(string))
    }

    /// Appends one number (for a flat array of frame indices).
    mutating func append(_ number: Int) {
        appendFlat(.int(number))
    }

    private mutating func appendFlat(_ value: Value) {
        if !first { text += "," }
        first = false
        Self.write(value, to: &text)
    }

    /// The finished JSON text.
    var json: String { text + "]" }

    private static func write(_ value: Value, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .int(let number): out += String(number)
        case .string(let string):
            out += "\""
            // Ids, hashes and most messages need no escaping: copied whole (per-scalar appends were a
            // third of the coordinator's time per task in `bench dispatch`).
            if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                out += string
                out += "\""
                return
            }
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            out += "\""
        }
    }
}
