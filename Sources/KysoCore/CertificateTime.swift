import Foundation
import SwiftASN1

extension ASN1Node {
    /// Reads an X.509 `Time` (UTCTime or GeneralizedTime) as a `Date`, without a calendar so the result never
    /// depends on the machine's time zone or locale.
    func certificateTime() throws -> Date {
        switch identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: self)
            return Self.date(time.year, time.month, time.day, time.hours, time.minutes, Double(time.seconds))
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: self)
            return Self.date(
                time.year, time.month, time.day, time.hours, time.minutes,
                Double(time.seconds) + time.fractionalSeconds)
        default:
            throw CertificateReadError(.malformedDER, "validity time is neither UTCTime nor GeneralizedTime")
        }
    }

    /// Days from the civil date (Howard Hinnant's algorithm), proleptic Gregorian, UTC.
    private static func date(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Double)
        -> Date
    {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Double(days * 86_400 + hour * 3_600 + minute * 60) + second
        return Date(timeIntervalSince1970: seconds)
    }
}
