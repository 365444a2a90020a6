import CSDTensor
import Testing

@Suite struct TensorBasicsTests {
    @Test func copyOnWriteThroughSubscript() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        var b = a
        #expect(a.storage === b.storage, "plain copies share storage until written")
        b[flat: 1] = 20
        #expect(a.scalars == [1, 2, 3, 4])
        #expect(b.scalars == [1, 20, 3, 4])
        #expect(a.storage !== b.storage)
    }

    @Test func copyOnWriteThroughMutableBuffer() {
        let a = Tensor([1, 2, 3], shape: [3])
        var b = a
        b.withUnsafeMutableBufferPointer { buf in
            for i in buf.indices { buf[i] *= -1 }
        }
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [-1, -2, -3])
    }

    @Test func uniqueTensorMutatesInPlace() {
        var a = Tensor([1, 2, 3], shape: [3])
        let before = a.storage.pointer   // not a reference: keeps the storage unique
        a[flat: 0] = 9
        a.withUnsafeMutableBufferPointer { $0[2] = 7 }
        #expect(a.storage.pointer == before, "a uniquely referenced storage is written in place")
        #expect(a.scalars == [9, 2, 7])
    }

    @Test func deepCopyIsIndependent() {
        var a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let c = a.copy()
        #expect(c.storage !== a.storage)
        #expect(c.shape == a.shape && c.scalars == a.scalars)
        a[flat: 0] = 100
        #expect(c[flat: 0] == 1)
    }

    @Test func reshapedSharesStorageAndCopiesOnWrite() {
        let a = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        var r = a.reshaped([6, 4])
        #expect(r.shape == [6, 4])
        #expect(r.storage === a.storage, "reshaped never copies")
        #expect(r.scalars == a.scalars)
        r[flat: 5] = -1
        #expect(a[flat: 5] == 5, "writing a reshaped view copies first")
        #expect(r[flat: 5] == -1)
    }

    @Test(arguments: [
        ([-1, 4], [6, 4]), ([4, -1], [4, 6]), ([-1], [24]), ([2, -1, 3], [2, 4, 3]),
        ([1, 1, -1], [1, 1, 24]), ([24], [24]), ([2, 3, 4], [2, 3, 4]),
    ])
    func reshapeInfersMinusOne(requested: [Int], resolved: [Int]) {
        let a = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let r = a.reshaped(requested)
        #expect(r.shape == resolved)
        #expect(r.count == 24)
        #expect(Shape.resolve(requested, count: 24) == resolved)
    }

    @Test func reshapeOfEmptyTensor() {
        let e = Tensor(zeros: [2, 0, 3])
        #expect(e.count == 0)
        #expect(e.reshaped([0, 5]).shape == [0, 5])
        #expect(e.scalars.isEmpty)
    }

    @Test func scalarShape() {
        let s = Tensor(scalar: 3.5)
        #expect(s.shape == [])
        #expect(s.rank == 0)
        #expect(s.count == 1)
        #expect(s.item == 3.5)
        #expect(s.reshaped([1, 1]).shape == [1, 1])
        #expect(s.reshaped([-1]).shape == [1])
        #expect(Tensor(repeating: 2, shape: []).item == 2)
        #expect(Tensor([7], shape: [1, 1, 1]).item == 7)
    }

    @Test func initialisers() {
        #expect(Tensor(zeros: [2, 3]).scalars == [Float](repeating: 0, count: 6))
        #expect(Tensor(repeating: 1.5, shape: [4]).scalars == [1.5, 1.5, 1.5, 1.5])
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        #expect(t.shape == [3, 2] && t.rank == 2 && t.count == 6)
        #expect(t.withUnsafeBufferPointer { Array($0) } == [1, 2, 3, 4, 5, 6])
        let e = Tensor([], shape: [0])
        #expect(e.count == 0 && e.shape == [0])
        let e2 = Tensor([], shape: [3, 0])
        #expect(e2.count == 0)
    }

    @Test func storageIsAligned() {
        for n in [0, 1, 3, 17, 1000] {
            let s = TensorStorage(uninitializedCount: n)
            #expect(Int(bitPattern: s.pointer) % TensorStorage.alignment == 0)
            #expect(s.count == n && s.buffer.count == n)
        }
    }

    @Test func borrowedStorageKeepsOwnerAlive() {
        final class Owner {
            let memory = UnsafeMutablePointer<Float>.allocate(capacity: 4)
            deinit { memory.deallocate() }
        }
        weak var weakOwner: Owner?
        var tensor: Tensor?
        do {
            let owner = Owner()
            weakOwner = owner
            owner.memory.initialize(from: [1, 2, 3, 4], count: 4)
            tensor = Tensor(shape: [2, 2],
                            storage: TensorStorage(borrowing: owner.memory, count: 4, owner: owner))
        }
        #expect(weakOwner != nil, "the storage holds its owner")
        #expect(tensor?.scalars == [1, 2, 3, 4])
        tensor = nil
        #expect(weakOwner == nil, "releasing the tensor releases the owner")
    }

    @Test func descriptionPreview() {
        let t = Tensor((0..<10).map(Float.init), shape: [10])
        #expect(t.description.hasPrefix("Tensor(shape: [10], [0, 1, 2"))
        #expect(t.description.hasSuffix(", ...])"))
        #expect(Tensor([1, 2], shape: [2]).description == "Tensor(shape: [2], [1, 2])")
    }
}

@Suite struct ShapeTests {
    @Test func strides() {
        #expect(Shape.strides([2, 3, 4]) == [12, 4, 1])
        #expect(Shape.strides([5]) == [1])
        #expect(Shape.strides([]) == [])
        #expect(Shape.strides([3, 0, 2]) == [0, 2, 1])
    }

    @Test func counts() {
        #expect(Shape.count([]) == 1)
        #expect(Shape.count([2, 3, 4]) == 24)
        #expect(Shape.count([2, 0]) == 0)
    }

    @Test func broadcastShapes() {
        #expect(Shape.broadcast([2, 3], [3]) == [2, 3])
        #expect(Shape.broadcast([3], [2, 3]) == [2, 3])
        #expect(Shape.broadcast([2, 1, 4], [3, 1]) == [2, 3, 4])
        #expect(Shape.broadcast([1], [5, 6]) == [5, 6])
        #expect(Shape.broadcast([], [2, 2]) == [2, 2])
        #expect(Shape.broadcast([4, 1], [1, 0]) == [4, 0])
        #expect(Shape.broadcast([2, 3], [3, 2]) == nil)
        #expect(Shape.broadcast([2], [3]) == nil)
    }

    @Test func broadcastStrides() {
        #expect(Shape.broadcastStrides([3], to: [2, 3]) == [0, 1])
        #expect(Shape.broadcastStrides([2, 1], to: [2, 3]) == [1, 0])
        #expect(Shape.broadcastStrides([3, 1], to: [2, 3, 4]) == [0, 1, 0])
        #expect(Shape.broadcastStrides([2, 3], to: [2, 3]) == [3, 1])
    }

    @Test func axes() {
        #expect(Shape.axis(-1, rank: 3) == 2)
        #expect(Shape.axis(-3, rank: 3) == 0)
        #expect(Shape.axis(1, rank: 3) == 1)
    }
}
