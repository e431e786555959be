/// The 21 PASCAL VOC 2012 segmentation classes in label order, as DeepLab's VOC models number them.
public enum PascalVOCClasses {
    public static let names = [
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ]

    public static let background = 0
    public static let bird = 3
    public static let cat = 8
    public static let dog = 12
    public static let person = 15

    /// Every object class (all but background): the default foreground of a matte.
    public static let objects = Set(1..<21)

    /// The label of a class name (as in `names`), or nil.
    public static func label(named name: String) -> Int? {
        names.firstIndex(of: name.lowercased())
    }
}
