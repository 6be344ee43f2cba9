//! Who is making a request. The [`Actor`] is worked out once per request and handed to every
//! service call; until accounts exist every request is [`Actor::Anonymous`].

use entity::enums::Role;
use uuid::Uuid;

/// The principal of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The public: no token.
    Anonymous,
    /// A signed-in account.
    Member(Member),
}

/// A signed-in account as the policy needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub account_id: Uuid,
    pub role: Role,
    /// Set for partner roles, `None` for Programme Office staff and admins.
    pub organisation_id: Option<Uuid>,
}

impl Actor {
    /// The role of a signed-in actor.
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::Member(member) => Some(member.role),
        }
    }
}
