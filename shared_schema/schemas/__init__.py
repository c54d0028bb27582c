"""Marshmallow schemas for records and protocol payloads.

Record schemas: `household.HouseholdSchema`, `member.MemberSchema`, `visit.VisitSchema`;
the front door for callers is `records` (`schema_for`, `validate_record`, `validate_changes`,
`validate_household_members`, `normalize`).
"""
