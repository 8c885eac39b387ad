//! The attribute and class OIDs against Microsoft's MS-AD schema (an
//! extract in `tests/data/ms_ad_schema_oids.txt`).

use hashsync_drs::drsuapi::schema;

#[test]
fn schema_oids_match_ms_ad_schema() {
    let mut checked = 0;
    for line in include_str!("data/ms_ad_schema_oids.txt").lines() {
        if line.starts_with('#') {
            continue;
        }
        let (name, oid) = line.split_once(' ').unwrap();
        let ours = match name {
            "user" => schema::CLASS_USER,
            "computer" => schema::CLASS_COMPUTER,
            _ => {
                let (_, oid) = schema::REPLICATED_ATTRIBUTES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("{name} is not in REPLICATED_ATTRIBUTES"));
                assert_eq!(schema::attribute_name(oid), Some(name));
                *oid
            }
        };
        assert_eq!(ours.to_string(), oid, "{name}");
        checked += 1;
    }
    assert_eq!(checked, schema::REPLICATED_ATTRIBUTES.len() + 2);
    for secret in schema::SECRET_ATTRIBUTES {
        assert!(schema::is_secret(&secret));
    }
    assert!(!schema::is_secret(&schema::OBJECT_SID));
}
