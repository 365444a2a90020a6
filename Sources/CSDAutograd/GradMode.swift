import Foundation

/// Whether ops record the graph, per thread (parallel sweeps run independent trainings).
public enum GradMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True unless the calling thread is inside `withoutGradients`.
    public static var isEnabled: Bool { pthread_getspecific(key) == nil }

    /// Runs `body` with recording off: ops compute values only, keep no saved tensors.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}
