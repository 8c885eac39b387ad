//! How the model's enums are written in a configuration file.
//!
//! Entra Connect's PowerShell accepts an enum by name, case-insensitively,
//! or by its number; a hand-written configuration should too. A file always
//! gets the canonical name back, and a wrong value is reported with the
//! field it sits in and the names that would have worked.

use core::fmt;

use serde::de::{self, Deserializer, Visitor};

/// An enum written by name (and, where Entra Connect numbers it, by number).
pub(crate) trait NamedEnum: Sized + Copy + 'static {
    /// The field this enum sits in, for error messages.
    const FIELD: &'static str;
    /// Every value, in numeric order.
    const ALL: &'static [Self];

    /// The canonical name written to files.
    fn name(self) -> &'static str;

    /// Other names accepted when reading.
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }

    /// Entra Connect's number for the value, if it has one.
    fn number(self) -> Option<u64>;

    /// The value whose name or alias is `text`, ignoring case.
    fn from_name(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| {
            value.name().eq_ignore_ascii_case(text)
                || value.aliases().iter().any(|a| a.eq_ignore_ascii_case(text))
        })
    }

    /// The value numbered `number`.
    fn from_number(number: u64) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.number() == Some(number))
    }

    /// The accepted names, for error messages.
    fn expected() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
        names.join(", ")
    }
}

/// Reads a [`NamedEnum`] from a name or a number.
pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: NamedEnum,
{
    struct NameVisitor<T>(core::marker::PhantomData<T>);

    impl<T: NamedEnum> Visitor<'_> for NameVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}: one of {}", T::FIELD, T::expected())
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
            T::from_name(text).ok_or_else(|| {
                E::custom(format_args!(
                    "{}: unknown value {text:?}, expected one of {}",
                    T::FIELD,
                    T::expected()
                ))
            })
        }

        fn visit_u64<E: de::Error>(self, number: u64) -> Result<T, E> {
            T::from_number(number).ok_or_else(|| {
                E::custom(format_args!(
                    "{}: unknown value {number}, expected one of {}",
                    T::FIELD,
                    T::expected()
                ))
            })
        }

        fn visit_i64<E: de::Error>(self, number: i64) -> Result<T, E> {
            match u64::try_from(number) {
                Ok(n) => self.visit_u64(n),
                Err(_) => Err(E::custom(format_args!(
                    "{}: unknown value {number}, expected one of {}",
                    T::FIELD,
                    T::expected()
                ))),
            }
        }
    }

    deserializer.deserialize_any(NameVisitor(core::marker::PhantomData))
}

/// Implements `Serialize` (by name) and `Deserialize` (name or number) for
/// a [`NamedEnum`]; with `, display` also `Display` (the name).
macro_rules! named_enum_serde {
    ($ty:ty, display) => {
        $crate::model::enum_names::named_enum_serde!($ty);

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str($crate::model::enum_names::NamedEnum::name(*self))
            }
        }
    };
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::model::enum_names::NamedEnum::name(*self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::model::enum_names::deserialize(d)
            }
        }
    };
}

pub(crate) use named_enum_serde;
