-- Donors can dedicate a gift ("in memory of ...") shown on the receipt.
ALTER TABLE donations ADD COLUMN dedication text;
