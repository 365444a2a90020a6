import CSDTensor

// Broadcasting arithmetic. Each backward sums the incoming gradient down to its operand's
// shape (in `accumulateGrad`), which is how broadcasting is differentiated.

public func + (a: Variable, b: Variable) -> Variable {
    Variable.result(Kernels.binary(AddOp.self, a.value, b.value), [a, b], { g in
        a.accumulateGrad(g)
        b.accumulateGrad(g)
    })
}

public func - (a: Variable, b: Variable) -> Variable {
    Variable.result(Kernels.binary(SubOp.self, a.value, b.value), [a, b], { g in
        a.accumulateGrad(g)
        if b.requiresGrad { b.accumulateGrad(Kernels.scaled(g, -1)) }
    })
}

public func * (a: Variable, b: Variable) -> Variable {
    let (x, y) = (a.value, b.value)
    return Variable.result(Kernels.binary(MulOp.self, x, y), [a, b], { g in
        if a.requiresGrad { a.accumulateGrad(Kernels.binary(MulOp.self, g, y)) }
        if b.requiresGrad { b.accumulateGrad(Kernels.binary(MulOp.self, g, x)) }
    })
}

public func / (a: Variable, b: Variable) -> Variable {
    let (x, y) = (a.value, b.value)
    let out = Kernels.binary(DivOp.self, x, y)
    return Variable.result(out, [a, b], { g in
        let gOverY = Kernels.binary(DivOp.self, g, y)
        if a.requiresGrad { a.accumulateGrad(gOverY) }
        // d(x/y)/dy = -(x/y)/y
        if b.requiresGrad { b.accumulateGrad(Kernels.scaled(Kernels.binary(MulOp.self, gOverY, out), -1)) }
    })
}

public prefix func - (a: Variable) -> Variable { a * -1 }

public func * (a: Variable, s: Float) -> Variable {
    Variable.result(Kernels.scaled(a.value, s), [a], { g in a.accumulateGrad(Kernels.scaled(g, s)) })
}

public func * (s: Float, a: Variable) -> Variable { a * s }

public func + (a: Variable, s: Float) -> Variable {
    Variable.result(Kernels.apply(Pointwise.AddScalar(s), a.value), [a], { g in a.accumulateGrad(g) })
}

public func - (a: Variable, s: Float) -> Variable { a + (-s) }

public func - (s: Float, a: Variable) -> Variable { (a * -1) + s }
