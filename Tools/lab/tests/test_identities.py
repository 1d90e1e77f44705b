"""Unit tests for the lab's tax-code and citizen-ID generators."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from kysolab import identities  # noqa: E402


class TaxCodeTests(unittest.TestCase):
    def test_known_public_codes_are_valid(self):
        # Codes printed in public certificate samples (see DOMAIN.md).
        for code in ("0104359717", "0301824642", "0400260612", "0102721191-001"):
            self.assertTrue(identities.is_valid_mst(code), code)

    def test_wrong_check_digit_or_shape_is_rejected(self):
        for code in ("0104359718", "010435971", "0100000000", "0104359717-000", "01043597170"):
            self.assertFalse(identities.is_valid_mst(code), code)

    def test_base_with_zero_remainder_has_no_check_digit(self):
        base = next(
            b for b in ("%09d" % n for n in range(10_000_000, 10_100_000))
            if sum(w * int(d) for w, d in zip(identities.MST_WEIGHTS, b)) % 11 == 0
        )
        self.assertIsNone(identities.mst_check_digit(base))

    def test_generated_codes_are_valid_and_keep_their_province(self):
        for province, _ in identities.PROVINCES:
            for _ in range(200):
                code = identities.random_mst(province)
                self.assertTrue(identities.is_valid_mst(code), code)
                self.assertTrue(code.startswith(province))

    def test_cccd_shape(self):
        cccd = identities.random_cccd("01", female=True, birth_year=1992)
        self.assertEqual(len(cccd), 12)
        self.assertTrue(cccd.isdigit())
        self.assertEqual(cccd[:6], "001192")


if __name__ == "__main__":
    unittest.main()
